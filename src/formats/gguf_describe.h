// formats: human-readable descriptions of a GGUF file: metadata values, sizes, and the model
// facts a user looks for first (architecture, parameters, context, heads, vocab, tensor types).
// Used by `minerva inspect` and by load-time logging. Non-goal: interpreting the model.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "formats/gguf.h"
#include "formats/tensor_type.h"

namespace minerva {

struct GgufValueFormat {
  size_t max_string_bytes = 80;  // longer strings are cut and shown with their length
  size_t max_array_items = 8;    // arrays up to this long are shown whole...
  size_t head_items = 3;         // ...longer ones show this many, then "..."
};

// A metadata value as one line: 2048, 1e-05, true, "llama", [512 strings: "<unk>", "<s>", "</s>", ...].
std::string format_gguf_value(const GgufValue& v, const GgufValueFormat& fmt = {});
// `s` in double quotes with control bytes, quotes and backslashes escaped; cut at a UTF-8
// boundary after max_bytes, then `..." (N bytes)`.
std::string quote_gguf_string(std::string_view s, size_t max_bytes);
// Shortest text that reads back as the same float / double.
std::string format_float(float v);
std::string format_double(double v);
// "1.13 MiB", "512 B".
std::string format_byte_size(uint64_t bytes);
// "292.5K", "6.74B"; plain digits below 1000.
std::string format_count(uint64_t n);

// llama.cpp's name for a general.file_type value (llama_ftype), e.g. 15 -> "Q4_K_M"; nullopt if unknown.
std::optional<std::string_view> llama_file_type_name(uint64_t ftype);

// What inspect shows under "summary". Pointers point into the GgufFile, which must outlive this.
struct GgufModelFacts {
  std::string_view architecture;                              // general.architecture; empty when absent
  uint64_t parameter_count = 0;                               // sum of all tensors' elements
  const GgufValue* context_length = nullptr;                  // <arch>.context_length
  const GgufValue* embedding_length = nullptr;                // <arch>.embedding_length
  const GgufValue* block_count = nullptr;                     // <arch>.block_count
  const GgufValue* head_count = nullptr;                      // <arch>.attention.head_count (per-layer arrays exist)
  const GgufValue* head_count_kv = nullptr;                   // <arch>.attention.head_count_kv; absent means = heads
  std::optional<uint64_t> vocab_size;                         // element count of tokenizer.ggml.tokens
  const GgufValue* file_type = nullptr;                       // general.file_type
  std::vector<std::pair<TensorType, uint64_t>> tensor_types;  // tensor count per type, by type id
};

GgufModelFacts gguf_model_facts(const GgufFile& f);
// "F32: 13, Q4_K: 97" (ordered by type id); "none" without tensors.
std::string format_tensor_type_counts(const std::vector<std::pair<TensorType, uint64_t>>& counts);

}  // namespace minerva
