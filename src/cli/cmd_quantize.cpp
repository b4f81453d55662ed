// `minerva quantize IN.gguf OUT.gguf TYPE`: re-writes an F32/F16/BF16 model with quantized weights.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/common.h"
#include "cli/quantize_policy.h"
#include "formats/gguf.h"
#include "formats/gguf_writer.h"
#include "kernels/quantize.h"
#include "kernels/type_traits.h"

namespace minerva::cli {

namespace {

// llama_ftype values: MOSTLY_F16 = 1, Q4_0 = 2, Q4_1 = 3, Q8_0 = 7, Q5_0 = 8, Q5_1 = 9,
// Q4_K_S = 14, Q4_K_M = 15, Q5_K_S = 16, Q5_K_M = 17, Q6_K = 18; ALL_F32 = 0. Plain Q4_K / Q5_K
// are the K types everywhere but the output (Q6_K), recorded as the _S file types.
constexpr QuantPreset kPresets[] = {
    {"F32", TensorType::F32, 0, false},     {"F16", TensorType::F16, 1, false},
    {"Q8_0", TensorType::Q8_0, 7, false},   {"Q4_0", TensorType::Q4_0, 2, false},
    {"Q4_1", TensorType::Q4_1, 3, false},   {"Q5_0", TensorType::Q5_0, 8, false},
    {"Q5_1", TensorType::Q5_1, 9, false},   {"Q4_K", TensorType::Q4_K, 14, false},
    {"Q4_K_M", TensorType::Q4_K, 15, true}, {"Q5_K", TensorType::Q5_K, 16, false},
    {"Q5_K_M", TensorType::Q5_K, 17, true}, {"Q6_K", TensorType::Q6_K, 18, false},
};

int64_t block_elems(TensorType t) {
  const auto info = tensor_type_info(static_cast<uint32_t>(t));
  return info ? info->block_elems : 1;
}

bool fits(TensorType t, int64_t row) { return row % block_elems(t) == 0; }

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Layer index of "blk.N.xxx", or -1.
int64_t layer_of(std::string_view name) {
  if (name.substr(0, 4) != "blk.") return -1;
  int64_t v = 0;
  size_t i = 4;
  for (; i < name.size() && std::isdigit(static_cast<unsigned char>(name[i])) != 0; ++i) v = v * 10 + (name[i] - '0');
  return i > 4 ? v : -1;
}

// llama.cpp's use_more_bits: the first and last eighth of the layers and every third between.
bool use_more_bits(int64_t i, int64_t n) { return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2; }

// llama.cpp's fallback when a K-quant does not fit the row length.
TensorType fallback(TensorType t) {
  switch (t) {
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

struct QuantizeOptions {
  std::string input;
  std::string output;
  std::string type;
};

int quantize(const QuantizeOptions& o) {
  const auto preset = find_quant_preset(o.type);
  if (!preset) {
    return report(
        make_error("unsupported quantization type '" + o.type + "' (supported: " + quant_preset_names() + ")"));
  }
  auto in = GgufFile::open(o.input);
  if (!in) return report(in.error());
  const GgufFile& f = *in;
  for (const TensorView& t : f.tensors()) {
    if (t.type != TensorType::F32 && t.type != TensorType::F16 && t.type != TensorType::BF16) {
      return report(make_error(o.input + ": input is already quantized (tensor '" + std::string(t.name) + "' is " +
                               std::string(tensor_type_name(t.type)) + "); quantize from an F32, F16 or BF16 file"));
    }
  }
  int64_t n_layer = 0;
  for (const TensorView& t : f.tensors()) n_layer = std::max(n_layer, layer_of(t.name) + 1);

  GgufWriter w;
  w.copy_metadata(f);
  w.set_u32("general.quantization_version", 2);
  w.set_u32("general.file_type", preset->ftype);
  std::vector<float> row;
  int n_quantized = 0;
  uint64_t in_bytes = 0, out_bytes = 0;
  for (const TensorView& t : f.tensors()) {
    std::vector<int64_t> ne(t.ne.begin(), t.ne.begin() + t.n_dims);
    const TensorType type = quant_type_for(*preset, t.name, ne, n_layer, t.type);
    in_bytes += t.nbytes;
    if (type == t.type) {
      out_bytes += t.nbytes;
      auto s = w.add_tensor(t.name, t.type, ne, std::span<const uint8_t>(t.data, t.nbytes));
      if (!s) return report(s.error());
      continue;
    }
    const TypeKernels* k = type_kernels(t.type);
    if (k == nullptr || k->to_float == nullptr) {
      return report(make_error(o.input + ": tensor '" + std::string(t.name) + "': no kernel reads " +
                               std::string(tensor_type_name(t.type))));
    }
    const int64_t n = t.ne[0], rows = t.rows();
    const uint64_t rb = quantized_row_bytes(type, n);
    std::vector<uint8_t> data(rb * static_cast<uint64_t>(rows));
    row.resize(static_cast<size_t>(n));
    for (int64_t r = 0; r < rows; ++r) {
      k->to_float(t.data + static_cast<uint64_t>(r) * t.row_bytes(), row.data(), n);
      quantize_row(type, row.data(), data.data() + static_cast<uint64_t>(r) * rb, n);
    }
    out_bytes += data.size();
    auto s = w.add_tensor(t.name, type, ne, std::move(data));
    if (!s) return report(s.error());
    ++n_quantized;
  }
  auto s = w.write_file(o.output);
  if (!s) return report(s.error());
  std::fprintf(stderr, "quantized %d of %zu tensors to %s: %.2f MiB -> %.2f MiB\n", n_quantized, f.tensors().size(),
               std::string(preset->name).c_str(), static_cast<double>(in_bytes) / (1 << 20),
               static_cast<double>(out_bytes) / (1 << 20));
  return 0;
}

}  // namespace

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
                          int64_t n_layer, TensorType current) {
  if (ne.size() != 2 || !ends_with(name, ".weight")) return current;
  if (preset.base == TensorType::F32 || preset.base == TensorType::F16) return preset.base;
  const int64_t row = ne[0];
  TensorType want = preset.base;
  // As llama.cpp: the output matrix gets Q6_K unless the file type is Q8_0 (or float).
  if (name == "output.weight" && preset.base != TensorType::Q8_0) want = TensorType::Q6_K;
  if (preset.k_mix) {
    const int64_t layer = layer_of(name);
    if (layer >= 0 && (ends_with(name, ".attn_v.weight") || ends_with(name, ".ffn_down.weight")) &&
        use_more_bits(layer, n_layer)) {
      want = TensorType::Q6_K;
    }
  }
  if (!fits(want, row)) want = fallback(want);
  return fits(want, row) ? want : current;
}

Command register_quantize(CLI::App& app) {
  auto o = std::make_shared<QuantizeOptions>();
  CLI::App* sub = app.add_subcommand("quantize", "Quantize an F32/F16/BF16 GGUF model (IN OUT TYPE)");
  sub->add_option("input", o->input, "Input GGUF model (F32, F16 or BF16 weights)")->required();
  sub->add_option("output", o->output, "Output GGUF file")->required();
  sub->add_option("type", o->type, "Target type: " + quant_preset_names())->required();
  return {sub, [o] { return quantize(*o); }};
}

}  // namespace minerva::cli
