// The per-tensor type rules of llama.cpp's quantizer (llama_tensor_get_type) for the file types
// Minerva writes, dense models only (the MoE, 70B and Falcon special cases are not here).
#include "cli/quantize_policy.h"

#include <algorithm>
#include <cctype>

#include "kernels/type_traits.h"

namespace minerva::cli {

namespace {

// llama_ftype values: ALL_F32 = 0, MOSTLY_F16 = 1, Q4_0 = 2, Q4_1 = 3, Q8_0 = 7, Q5_0 = 8,
// Q5_1 = 9, Q2_K = 10, Q3_K_S = 11, Q3_K_M = 12, Q4_K_S = 14, Q4_K_M = 15, Q5_K_S = 16,
// Q5_K_M = 17, Q6_K = 18, BF16 = 32. Plain Q4_K / Q5_K are the K types everywhere but the
// output (Q6_K), recorded as the _S file types (llama.cpp's _S mixes also raise the first
// attn_v / ffn_down layers to Q5_K; ours do not). Plain Q3_K is llama.cpp's Q3_K_S, which for a
// dense model is exactly that: Q3_K everywhere but the output.
constexpr QuantPreset kPresets[] = {
    {"F32", TensorType::F32, 0, QuantMix::Plain},      {"F16", TensorType::F16, 1, QuantMix::Plain},
    {"BF16", TensorType::BF16, 32, QuantMix::Plain},   {"Q8_0", TensorType::Q8_0, 7, QuantMix::Plain},
    {"Q4_0", TensorType::Q4_0, 2, QuantMix::Plain},    {"Q4_1", TensorType::Q4_1, 3, QuantMix::Plain},
    {"Q5_0", TensorType::Q5_0, 8, QuantMix::Plain},    {"Q5_1", TensorType::Q5_1, 9, QuantMix::Plain},
    {"Q2_K", TensorType::Q2_K, 10, QuantMix::Q2_K},    {"Q3_K", TensorType::Q3_K, 11, QuantMix::Plain},
    {"Q3_K_S", TensorType::Q3_K, 11, QuantMix::Plain}, {"Q3_K_M", TensorType::Q3_K, 12, QuantMix::Q3_K_M},
    {"Q4_K", TensorType::Q4_K, 14, QuantMix::Plain},   {"Q4_K_M", TensorType::Q4_K, 15, QuantMix::Q4_K_M},
    {"Q5_K", TensorType::Q5_K, 16, QuantMix::Plain},   {"Q5_K_M", TensorType::Q5_K, 17, QuantMix::Q5_K_M},
    {"Q6_K", TensorType::Q6_K, 18, QuantMix::Plain},
};

int64_t block_elems(TensorType t) {
  const auto info = tensor_type_info(static_cast<uint32_t>(t));
  return info ? info->block_elems : 1;
}

bool fits(TensorType t, int64_t row) { return row % block_elems(t) == 0; }

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool contains(std::string_view s, std::string_view part) { return s.find(part) != std::string_view::npos; }

// llama.cpp's use_more_bits: the first and last eighth of the layers and every third between.
bool use_more_bits(int64_t i, int64_t n) { return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2; }

// llama.cpp's fallback when a K-quant does not fit the row length. For Q2_K / Q3_K llama.cpp
// takes IQ4_NL, which Minerva does not write; Q4_0 has the same block (32) and bits (4.5).
TensorType fallback(TensorType t) {
  switch (t) {
    case TensorType::Q2_K:
    case TensorType::Q3_K:
      return TensorType::Q4_0;
    case TensorType::Q4_K:
      return TensorType::Q5_0;
    case TensorType::Q5_K:
      return TensorType::Q5_1;
    case TensorType::Q6_K:
      return TensorType::Q8_0;
    default:
      return t;
  }
}

// The mix's type for a weight that is neither the output nor the token embedding. llama.cpp
// counts attn_v / ffn_down tensors in name order (layer-major), which for a model with one of
// each per block is the layer index.
TensorType mixed_type(const QuantPreset& p, std::string_view name, const QuantModelShape& shape) {
  const int64_t layer = std::max<int64_t>(layer_index(name), 0);
  const int64_t n = shape.n_layer;
  switch (p.mix) {
    case QuantMix::Plain:
      return p.base;
    case QuantMix::Q2_K:
      if (contains(name, "attn_v.weight")) return shape.n_gqa >= 4 ? TensorType::Q4_K : TensorType::Q3_K;
      if (contains(name, "ffn_down") || contains(name, "attn_output.weight")) return TensorType::Q3_K;
      return p.base;
    case QuantMix::Q3_K_M:
      if (contains(name, "attn_v.weight")) return layer < 2 ? TensorType::Q5_K : TensorType::Q4_K;
      if (contains(name, "ffn_down")) return layer < n / 16 ? TensorType::Q5_K : TensorType::Q4_K;
      if (contains(name, "attn_output.weight") || contains(name, "attn_qkv.weight")) return TensorType::Q4_K;
      return p.base;
    case QuantMix::Q4_K_M:
    case QuantMix::Q5_K_M:
      if (contains(name, "attn_v.weight") || contains(name, "ffn_down")) {
        return use_more_bits(layer, n) ? TensorType::Q6_K : p.base;
      }
      if (contains(name, "attn_qkv.weight")) return p.mix == QuantMix::Q4_K_M ? TensorType::Q5_K : TensorType::Q6_K;
      return p.base;
  }
  return p.base;
}

}  // namespace

int64_t layer_index(std::string_view name) {
  if (name.substr(0, 4) != "blk.") return -1;
  int64_t v = 0;
  size_t i = 4;
  for (; i < name.size() && std::isdigit(static_cast<unsigned char>(name[i])) != 0; ++i) v = v * 10 + (name[i] - '0');
  return i > 4 ? v : -1;
}

std::optional<QuantPreset> find_quant_preset(std::string_view name) {
  std::string upper(name);
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  for (const QuantPreset& p : kPresets) {
    if (p.name == upper) return p;
  }
  return std::nullopt;
}

std::string quant_preset_names() {
  std::string s;
  for (const QuantPreset& p : kPresets) s += (s.empty() ? "" : ", ") + std::string(p.name);
  return s;
}

TensorType quant_type_for(const QuantPreset& preset, std::string_view name, const std::vector<int64_t>& ne,
                          const QuantModelShape& shape, TensorType current) {
  if (ne.size() != 2 || !ends_with(name, ".weight")) return current;
  const TensorType base = preset.base;
  // Float targets convert every matrix; llama.cpp applies no mix to them.
  if (base == TensorType::F32 || base == TensorType::F16 || base == TensorType::BF16) return base;
  const int64_t row = ne[0];
  TensorType want = base;
  if (name == "output.weight" || (!shape.has_output && name == "token_embd.weight")) {
    // The output matrix (or the tied embedding standing in for it) gets Q6_K, except for Q8_0
    // files; a row the base type's block does not divide gets Q8_0.
    if (!fits(base, row)) {
      want = TensorType::Q8_0;
    } else if (base != TensorType::Q8_0) {
      want = TensorType::Q6_K;
    }
  } else if (name != "token_embd.weight") {
    want = mixed_type(preset, name, shape);
  }
  if (!fits(want, row)) want = fallback(want);
  return fits(want, row) ? want : current;
}

}  // namespace minerva::cli
