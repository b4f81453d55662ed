// cli: which type each tensor gets when `minerva quantize` / `minerva synth` write a model of
// a given llama.cpp-style file type: the per-tensor mix of llama.cpp's llama_tensor_get_type for
// dense (non-MoE) models, for the file types listed in quantize_policy.cpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "formats/tensor_type.h"

namespace minerva::cli {

// Which of llama.cpp's per-tensor rules a preset applies on top of its base type.
enum class QuantMix : uint8_t {
  Plain,   // base type everywhere, output Q6_K (F32/F16/BF16/Q8_0: everything the base type)
  Q2_K,    // attn_v Q3_K (Q4_K at >= 4 query heads per KV head), attn_output / ffn_down Q3_K
  Q3_K_M,  // attn_v Q5_K in the first two layers then Q4_K, attn_output / attn_qkv Q4_K,
           // ffn_down Q5_K in the first 1/16 of the layers then Q4_K
  Q4_K_M,  // attn_v / ffn_down Q6_K where use_more_bits, attn_qkv Q5_K
  Q5_K_M,  // attn_v / ffn_down Q6_K where use_more_bits, attn_qkv Q6_K
};

struct QuantPreset {
  std::string_view name;  // "Q4_0", "Q4_K_M", ...
  TensorType base;        // most 2-D weights
  uint32_t ftype;         // llama.cpp's general.file_type (llama_ftype)
  QuantMix mix;
};

// What the rules need to know about the model.
struct QuantModelShape {
  int64_t n_layer = 0;     // blocks ("blk.N." names run 0..n_layer-1)
  int64_t n_gqa = 1;       // query heads per KV head
  bool has_output = true;  // false: tied embeddings, token_embd.weight is also the output matrix
};

// The preset called `name` (case-insensitive), or nullopt.
std::optional<QuantPreset> find_quant_preset(std::string_view name);
// "F32, F16, Q8_0, ..." for error messages.
std::string quant_preset_names();

// Layer index N of a "blk.N.xxx" tensor name, or -1.
int64_t layer_index(std::string_view name);

// The type of tensor `name` with shape `ne` (ggml order) under `preset`; `current` is its type
// now and is kept for what is not quantized (1-D tensors, rows that are not a whole number of
// blocks of any fallback type).
TensorType quant_type_for(const QuantPreset& preset, std::string_view name, const std::vector<int64_t>& ne,
                          const QuantModelShape& shape, TensorType current);

}  // namespace minerva::cli
