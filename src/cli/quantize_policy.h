// cli: which type each tensor gets when `minerva quantize` / `minerva synth` write a model of
// a given llama.cpp-style file type (the mix llama.cpp's quantizer uses, simplified).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "formats/tensor_type.h"

namespace minerva::cli {

struct QuantPreset {
  std::string_view name;  // "Q4_0", "Q4_K_M", ...
  TensorType base;        // most 2-D weights
  uint32_t ftype;         // llama.cpp's general.file_type (llama_ftype)
  bool k_mix;             // Q4_K_M: attn_v / ffn_down of some layers get Q6_K
};

// The preset called `name` (case-insensitive), or nullopt.
std::optional<QuantPreset> find_quant_preset(std::string_view name);
// "F32, F16, Q8_0, ..." for error messages.
std::string quant_preset_names();

// The type of tensor `name` with shape `ne` (ggml order) in layer count `n_layer` under
// `preset`; `current` is its type now and is kept for what is not quantized (1-D tensors,
// rows that are not a whole number of blocks).
TensorType quant_type_for(const QuantPreset& preset, std::string_view name, const std::vector<int64_t>& ne,
                          int64_t n_layer, TensorType current);

}  // namespace minerva::cli
