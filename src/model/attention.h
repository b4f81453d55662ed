#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "util/error.h"

namespace minerva {

// Element type of the KV cache. F16 halves its memory and is what llama.cpp stores by default
// (and so what the reference outputs were computed with); F32 keeps keys and values unrounded.
enum class KvType : uint8_t { F16, F32 };

const char* kv_type_name(KvType t);  // "f16" / "f32"
size_t kv_type_size(KvType t);       // bytes per element
// "f16" / "f32" (any case), else an error naming the value and the choices.
Result<KvType> parse_kv_type(std::string_view name);

// What one attention call needs to know about the architecture and the layer.
struct AttentionShape {
  int64_t head_dim = 0;
  float scale = 1.0f;    // multiplies q.k
  float softcap = 0.0f;  // scores -> softcap * tanh(score / softcap); 0 = off
};

// One sequence's cached keys and values for one KV head: row p starts at k + p * row_bytes
// (v likewise) and holds head_dim elements of `type`.
struct KvRows {
  const uint8_t* k = nullptr;
  const uint8_t* v = nullptr;
  size_t row_bytes = 0;
  KvType type = KvType::F16;
};

// Attention of n_q query heads that share one KV head, over cached positions [first, last):
// out[g] = sum_p softmax_p(score(q[g], k_p)) v_p for g < n_q, q and out (n_q, head_dim) row-major.
// Tiled over positions with an online softmax (running max and sum, the partial output rescaled
// when the max grows), so memory stays O(tile) at any context length, and each K/V row is
// loaded once for the whole group. Requires first < last. Thread-safe (thread-local scratch).
void attend_group(const AttentionShape& shape, const float* q, int64_t n_q, const KvRows& kv, int64_t first,
                  int64_t last, float* out);

}  // namespace minerva
