// Attention kernels: one tile of cached keys/values for a group of query heads that share a KV
// head, with an online softmax (running max and sum per head). A scalar reference, AVX2 and
// AVX-512 variants, picked at run time. The ISA files include this header, so it holds only
// plain structs, function-pointer types and declarations (no inline functions).
#pragma once

#include <cstddef>
#include <cstdint>

namespace minerva {

enum class Isa;

// Key positions per tile: the scores of a group of heads for one tile stay in L1.
inline constexpr int64_t kAttnTile = 64;

// One tile of up to kAttnTile cached rows, read in place (F16 rows are widened in registers).
struct AttnTile {
  const float* q = nullptr;    // (n_q, head_dim) row-major queries
  int64_t n_q = 0;             // query heads sharing this KV head, >= 1
  int64_t head_dim = 0;        // >= 1
  const uint8_t* k = nullptr;  // key row 0 of the tile; row j at k + j * row_bytes
  const uint8_t* v = nullptr;  // value row 0 likewise
  size_t row_bytes = 0;
  int64_t n = 0;       // rows in the tile, 1..kAttnTile
  bool f16 = true;     // rows hold IEEE halves, else floats
  float scale = 1.0f;  // multiplies q . k
  // Rows further on in the cache, which the SIMD kernels prefetch one at a time as they go
  // through the tile's: row j of k_ahead / v_ahead with row j of k / v, for j < n_ahead (0 =
  // none). Spread out, the requests overlap the arithmetic; issued as one burst they stalled it
  // waiting for fill buffers.
  const uint8_t* k_ahead = nullptr;
  const uint8_t* v_ahead = nullptr;
  int64_t n_ahead = 0;
};

// s[g * kAttnTile + j] = scale * (q_g . k_j) for g < n_q, j < n (entries past n: unspecified).
using AttnScoresFn = void (*)(const AttnTile& t, float* s);
// Online-softmax step with the tile's scores s (as above; overwritten): for each head g,
// m_new = max(m[g], s[g][j < n]); out[g] (n_q, head_dim) and l[g] are scaled by
// exp(m[g] - m_new), then l[g] += sum_j exp(s[g][j] - m_new) and out[g] += sum_j exp(...) v_j;
// m[g] = m_new. Start from m = -inf, l = 0, out = 0; the attention is out[g] / l[g] at the end.
using AttnUpdateFn = void (*)(const AttnTile& t, float* s, float* m, float* l, float* out);
// y[i] = e^x[i] for i < n, within a few ulp of std::exp (0 below ~-103.97 and for -inf,
// +inf above ~88.72, NaN stays NaN). y may equal x.
using ExpRowFn = void (*)(const float* x, float* y, int64_t n);
// y[i] = x[i] as an IEEE half, rounded to nearest even (overflow -> inf), for i < n: how keys
// and values enter an F16 cache. NaN stays NaN (its payload may differ between levels).
using ToF16Fn = void (*)(const float* x, uint16_t* y, int64_t n);

struct AttnKernels {
  AttnScoresFn scores = nullptr;
  AttnUpdateFn update = nullptr;
  ExpRowFn exp = nullptr;
  ToF16Fn to_f16 = nullptr;
};

// The kernels of the active ISA level (active_isa()), built once.
const AttnKernels& attn_kernels();
// The kernels of a given level; a level the CPU cannot run (or that was not compiled in) gives
// the best lower one. For tests and benchmarks.
const AttnKernels& attn_kernels(Isa isa);

namespace scalar {
AttnKernels attn_kernels();  // the reference every variant is tested against
}  // namespace scalar
namespace avx2 {
AttnKernels attn_kernels();  // null members when not built for x86
}  // namespace avx2
namespace avx512 {
AttnKernels attn_kernels();  // null members when not built for x86
}  // namespace avx512

}  // namespace minerva
