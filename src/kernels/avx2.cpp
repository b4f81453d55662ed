// AVX2 + FMA + F16C kernels. This file alone is compiled with -mavx2 -mfma -mf16c, so it must
// not call inline functions or templates from other headers (the linker could keep this file's
// AVX2 copy of such a function for callers elsewhere, which would then crash on older CPUs):
// everything here lives in an anonymous namespace and reads the block layouts from
// quant_blocks.h, which has only plain structs (and one inline helper this file does not use).
// Float dots (dot_row): weights are widened to int32 -> float and FMA'd with the activations,
// each block's partial sum scaled once by its (sub-)block scale. Integer dots (matmul's path
// for quantized weights) come from qdot_x86.inc.
#include "kernels/avx2.h"

#if defined(__AVX2__) && defined(__FMA__) && defined(__F16C__)
#include <immintrin.h>

#include "kernels/qdot.h"
#include "kernels/quant_blocks.h"

namespace minerva::avx2 {

namespace {
using namespace quant;

float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

float half(uint16_t h) { return _cvtsh_ss(h); }

// Eight lanes of q[0..7] * x[0..7] + q[8..15] * x[8..15] for 16 signed bytes q.
__m256 dot16(__m128i q, const float* x) {
  const __m256 lo = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q));
  const __m256 hi = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(q, 8)));
  return _mm256_fmadd_ps(hi, _mm256_loadu_ps(x + 8), _mm256_mul_ps(lo, _mm256_loadu_ps(x)));
}

// Eight lanes summing to x[0] + ... + x[15].
__m256 sum16(const float* x) { return _mm256_add_ps(_mm256_loadu_ps(x), _mm256_loadu_ps(x + 8)); }

float dot_f32(const uint8_t* row, const float* x, int64_t n) {
  const auto* a = reinterpret_cast<const float*>(row);
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(x + i), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(x + i + 8), acc1);
  }
  float s = hsum(_mm256_add_ps(acc0, acc1));
  for (; i < n; ++i) s += a[i] * x[i];
  return s;
}

float dot_f16(const uint8_t* row, const float* x, int64_t n) {
  const auto* a = reinterpret_cast<const uint16_t*>(row);
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256 w0 = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a + i)));
    const __m256 w1 = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a + i + 8)));
    acc0 = _mm256_fmadd_ps(w0, _mm256_loadu_ps(x + i), acc0);
    acc1 = _mm256_fmadd_ps(w1, _mm256_loadu_ps(x + i + 8), acc1);
  }
  float s = hsum(_mm256_add_ps(acc0, acc1));
  for (; i < n; ++i) s += half(a[i]) * x[i];
  return s;
}

// F16C converts exactly (subnormals, inf and NaN included), so this matches the scalar row.
void f16_to_f32(const uint8_t* src, float* dst, int64_t n) {
  const auto* a = reinterpret_cast<const uint16_t*>(src);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a + i))));
  }
  for (; i < n; ++i) dst[i] = half(a[i]);
}

float dot_q8_0(const uint8_t* row, const float* x, int64_t n) {
  const auto* b = reinterpret_cast<const BlockQ8_0*>(row);
  __m256 acc = _mm256_setzero_ps();
  for (int64_t i = 0; i < n / kQK; ++i, x += kQK) {
    const __m128i q0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b[i].qs));
    const __m128i q1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b[i].qs + 16));
    const __m256 s = _mm256_add_ps(dot16(q0, x), dot16(q1, x + 16));
    acc = _mm256_fmadd_ps(_mm256_set1_ps(half(b[i].d)), s, acc);
  }
  return hsum(acc);
}

float dot_q4_0(const uint8_t* row, const float* x, int64_t n) {
  const auto* b = reinterpret_cast<const BlockQ4_0*>(row);
  const __m128i mask = _mm_set1_epi8(0x0F), eight = _mm_set1_epi8(8);
  __m256 acc = _mm256_setzero_ps();
  for (int64_t i = 0; i < n / kQK; ++i, x += kQK) {
    const __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b[i].qs));
    const __m128i lo = _mm_sub_epi8(_mm_and_si128(raw, mask), eight);                     // values 0..15
    const __m128i hi = _mm_sub_epi8(_mm_and_si128(_mm_srli_epi16(raw, 4), mask), eight);  // values 16..31
    const __m256 s = _mm256_add_ps(dot16(lo, x), dot16(hi, x + 16));
    acc = _mm256_fmadd_ps(_mm256_set1_ps(half(b[i].d)), s, acc);
  }
  return hsum(acc);
}

// Same unpacking as quant::unpack_scale_min_k4, repeated here so no inline function of another
// header is instantiated with AVX2 code generation (see the top of the file).
void scale_min_k4(int j, const uint8_t* q, float* sc, float* mn) {
  if (j < 4) {
    *sc = static_cast<float>(q[j] & 63);
    *mn = static_cast<float>(q[j + 4] & 63);
  } else {
    *sc = static_cast<float>((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
    *mn = static_cast<float>((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
  }
}

float dot_q4_k(const uint8_t* row, const float* x, int64_t n) {
  const auto* b = reinterpret_cast<const BlockQ4_K*>(row);
  const __m128i mask = _mm_set1_epi8(0x0F);
  __m256 acc = _mm256_setzero_ps();
  for (int64_t i = 0; i < n / kQKK; ++i) {
    const float d = half(b[i].d), dmin = half(b[i].dmin);
    for (int g = 0; g < 8; g += 2, x += 64) {
      const uint8_t* q = b[i].qs + 16 * g;
      const __m128i r0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(q));
      const __m128i r1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(q + 16));
      const __m256 qx0 = _mm256_add_ps(dot16(_mm_and_si128(r0, mask), x), dot16(_mm_and_si128(r1, mask), x + 16));
      const __m256 qx1 = _mm256_add_ps(dot16(_mm_and_si128(_mm_srli_epi16(r0, 4), mask), x + 32),
                                       dot16(_mm_and_si128(_mm_srli_epi16(r1, 4), mask), x + 48));
      const __m256 sx0 = _mm256_add_ps(sum16(x), sum16(x + 16));
      const __m256 sx1 = _mm256_add_ps(sum16(x + 32), sum16(x + 48));
      float sc0, mn0, sc1, mn1;
      scale_min_k4(g, b[i].scales, &sc0, &mn0);
      scale_min_k4(g + 1, b[i].scales, &sc1, &mn1);
      acc = _mm256_fmadd_ps(_mm256_set1_ps(d * sc0), qx0, acc);
      acc = _mm256_fnmadd_ps(_mm256_set1_ps(dmin * mn0), sx0, acc);
      acc = _mm256_fmadd_ps(_mm256_set1_ps(d * sc1), qx1, acc);
      acc = _mm256_fnmadd_ps(_mm256_set1_ps(dmin * mn1), sx1, acc);
    }
  }
  return hsum(acc);
}

float dot_q6_k(const uint8_t* row, const float* x, int64_t n) {
  const auto* b = reinterpret_cast<const BlockQ6_K*>(row);
  const __m128i m4 = _mm_set1_epi8(0x0F), m2 = _mm_set1_epi8(3), off = _mm_set1_epi8(32);
  __m256 acc = _mm256_setzero_ps();
  for (int64_t i = 0; i < n / kQKK; ++i) {
    const float d = half(b[i].d);
    for (int h = 0; h < 2; ++h, x += 128) {
      const uint8_t* ql = b[i].ql + 64 * h;
      const uint8_t* qh = b[i].qh + 32 * h;
      const int8_t* sc = b[i].scales + 8 * h;
      for (int c = 0; c < 2; ++c) {  // values l = 16c .. 16c + 15 of each 32-value quarter
        const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(ql + 16 * c));
        const __m128i bb = _mm_loadu_si128(reinterpret_cast<const __m128i*>(ql + 32 + 16 * c));
        const __m128i hv = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qh + 16 * c));
        const __m128i h0 = _mm_slli_epi16(_mm_and_si128(hv, m2), 4);
        const __m128i h1 = _mm_slli_epi16(_mm_and_si128(_mm_srli_epi16(hv, 2), m2), 4);
        const __m128i h2 = _mm_slli_epi16(_mm_and_si128(_mm_srli_epi16(hv, 4), m2), 4);
        const __m128i h3 = _mm_slli_epi16(_mm_and_si128(_mm_srli_epi16(hv, 6), m2), 4);
        const __m128i q0 = _mm_sub_epi8(_mm_or_si128(_mm_and_si128(a, m4), h0), off);
        const __m128i q1 = _mm_sub_epi8(_mm_or_si128(_mm_and_si128(bb, m4), h1), off);
        const __m128i q2 = _mm_sub_epi8(_mm_or_si128(_mm_and_si128(_mm_srli_epi16(a, 4), m4), h2), off);
        const __m128i q3 = _mm_sub_epi8(_mm_or_si128(_mm_and_si128(_mm_srli_epi16(bb, 4), m4), h3), off);
        const float* xc = x + 16 * c;
        acc = _mm256_fmadd_ps(_mm256_set1_ps(d * static_cast<float>(sc[c])), dot16(q0, xc), acc);
        acc = _mm256_fmadd_ps(_mm256_set1_ps(d * static_cast<float>(sc[c + 2])), dot16(q1, xc + 32), acc);
        acc = _mm256_fmadd_ps(_mm256_set1_ps(d * static_cast<float>(sc[c + 4])), dot16(q2, xc + 64), acc);
        acc = _mm256_fmadd_ps(_mm256_set1_ps(d * static_cast<float>(sc[c + 6])), dot16(q3, xc + 96), acc);
      }
    }
  }
  return hsum(acc);
}

float dot_q4_1(const uint8_t* row, const float* x, int64_t n) {
  const auto* b = reinterpret_cast<const BlockQ4_1*>(row);
  const __m128i mask = _mm_set1_epi8(0x0F);
  __m256 acc = _mm256_setzero_ps();
  for (int64_t i = 0; i < n / kQK; ++i, x += kQK) {
    const __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b[i].qs));
    const __m128i lo = _mm_and_si128(raw, mask);
    const __m128i hi = _mm_and_si128(_mm_srli_epi16(raw, 4), mask);
    const __m256 qx = _mm256_add_ps(dot16(lo, x), dot16(hi, x + 16));
    const __m256 sx = _mm256_add_ps(sum16(x), sum16(x + 16));
    acc = _mm256_fmadd_ps(_mm256_set1_ps(half(b[i].d)), qx, acc);  // d * q + m, summed: d*sum(qx) + m*sum(x)
    acc = _mm256_fmadd_ps(_mm256_set1_ps(half(b[i].m)), sx, acc);
  }
  return hsum(acc);
}

// 0x10 in byte k where bit k of the 16-bit `bits` is set: the fifth bits of 16 Q5 values.
__m128i fifth_bits(uint32_t bits) {
  const __m128i v = _mm_set1_epi16(static_cast<int16_t>(bits & 0xFFFFu));
  const __m128i spread = _mm_shuffle_epi8(v, _mm_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1));
  const __m128i bit = _mm_setr_epi8(1, 2, 4, 8, 16, 32, 64, -128, 1, 2, 4, 8, 16, 32, 64, -128);
  return _mm_and_si128(_mm_cmpeq_epi8(_mm_and_si128(spread, bit), bit), _mm_set1_epi8(0x10));
}

uint32_t load_u32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) | (static_cast<uint32_t>(p[2]) << 16) |
         (static_cast<uint32_t>(p[3]) << 24);
}

// The 32 unsigned 5-bit values of a Q5_0/Q5_1 block, as values 0..15 and 16..31.
void q5_values(const uint8_t* qs, const uint8_t* qh, __m128i* lo, __m128i* hi) {
  const __m128i mask = _mm_set1_epi8(0x0F);
  const __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
  const uint32_t h = load_u32(qh);
  *lo = _mm_or_si128(_mm_and_si128(raw, mask), fifth_bits(h));
  *hi = _mm_or_si128(_mm_and_si128(_mm_srli_epi16(raw, 4), mask), fifth_bits(h >> 16));
}

float dot_q5_0(const uint8_t* row, const float* x, int64_t n) {
  const auto* b = reinterpret_cast<const BlockQ5_0*>(row);
  const __m128i sixteen = _mm_set1_epi8(16);
  __m256 acc = _mm256_setzero_ps();
  for (int64_t i = 0; i < n / kQK; ++i, x += kQK) {
    __m128i lo, hi;
    q5_values(b[i].qs, b[i].qh, &lo, &hi);
    const __m256 s = _mm256_add_ps(dot16(_mm_sub_epi8(lo, sixteen), x), dot16(_mm_sub_epi8(hi, sixteen), x + 16));
    acc = _mm256_fmadd_ps(_mm256_set1_ps(half(b[i].d)), s, acc);
  }
  return hsum(acc);
}

float dot_q5_1(const uint8_t* row, const float* x, int64_t n) {
  const auto* b = reinterpret_cast<const BlockQ5_1*>(row);
  __m256 acc = _mm256_setzero_ps();
  for (int64_t i = 0; i < n / kQK; ++i, x += kQK) {
    __m128i lo, hi;
    q5_values(b[i].qs, b[i].qh, &lo, &hi);
    const __m256 qx = _mm256_add_ps(dot16(lo, x), dot16(hi, x + 16));
    const __m256 sx = _mm256_add_ps(sum16(x), sum16(x + 16));
    acc = _mm256_fmadd_ps(_mm256_set1_ps(half(b[i].d)), qx, acc);
    acc = _mm256_fmadd_ps(_mm256_set1_ps(half(b[i].m)), sx, acc);
  }
  return hsum(acc);
}

float dot_q2_k(const uint8_t* row, const float* x, int64_t n) {
  const auto* b = reinterpret_cast<const BlockQ2_K*>(row);
  const __m128i m2 = _mm_set1_epi8(3);
  __m256 acc = _mm256_setzero_ps();
  for (int64_t i = 0; i < n / kQKK; ++i) {
    const float d = half(b[i].d), dmin = half(b[i].dmin);
    for (int h = 0; h < 2; ++h) {
      for (int g = 0; g < 2; ++g) {  // bytes 16g .. 16g + 15 of this half's 32
        const __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b[i].qs + 32 * h + 16 * g));
        for (int s = 0; s < 4; ++s) {  // bit pair s: values 128h + 32s + 16g + l
          const __m128i q = _mm_and_si128(_mm_srli_epi16(raw, 2 * s), m2);
          const float* xs = x + 128 * h + 32 * s + 16 * g;
          const uint8_t sc = b[i].scales[8 * h + 2 * s + g];
          acc = _mm256_fmadd_ps(_mm256_set1_ps(d * static_cast<float>(sc & 0xF)), dot16(q, xs), acc);
          acc = _mm256_fnmadd_ps(_mm256_set1_ps(dmin * static_cast<float>(sc >> 4)), sum16(xs), acc);
        }
      }
    }
    x += kQKK;
  }
  return hsum(acc);
}

// Same unpacking as quant::unpack_scale_k3 (repeated here; see the top of the file).
int scale_k3(int s, const uint8_t* q) {
  const int lo = s < 8 ? (q[s] & 0xF) : (q[s - 8] >> 4);
  const int hi = (q[8 + (s % 4)] >> (2 * (s / 4))) & 3;
  return lo | (hi << 4);
}

float dot_q3_k(const uint8_t* row, const float* x, int64_t n) {
  const auto* b = reinterpret_cast<const BlockQ3_K*>(row);
  const __m128i m2 = _mm_set1_epi8(3), one = _mm_set1_epi8(1), four = _mm_set1_epi8(4);
  __m256 acc = _mm256_setzero_ps();
  for (int64_t i = 0; i < n / kQKK; ++i) {
    const float d = half(b[i].d);
    for (int g = 0; g < 2; ++g) {
      const __m128i hm = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b[i].hmask + 16 * g));
      for (int h = 0; h < 2; ++h) {
        const __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b[i].qs + 32 * h + 16 * g));
        for (int s = 0; s < 4; ++s) {
          const __m128i lo = _mm_and_si128(_mm_srli_epi16(raw, 2 * s), m2);
          const __m128i hb = _mm_and_si128(_mm_srli_epi16(hm, 4 * h + s), one);
          const __m128i q = _mm_sub_epi8(_mm_add_epi8(lo, _mm_slli_epi16(hb, 2)), four);  // lo - 4 * !hbit
          const float dl = d * static_cast<float>(scale_k3(8 * h + 2 * s + g, b[i].scales) - 32);
          acc = _mm256_fmadd_ps(_mm256_set1_ps(dl), dot16(q, x + 128 * h + 32 * s + 16 * g), acc);
        }
      }
    }
    x += kQKK;
  }
  return hsum(acc);
}

float dot_q5_k(const uint8_t* row, const float* x, int64_t n) {
  const auto* b = reinterpret_cast<const BlockQ5_K*>(row);
  const __m128i mask = _mm_set1_epi8(0x0F), one = _mm_set1_epi8(1);
  __m256 acc = _mm256_setzero_ps();
  for (int64_t i = 0; i < n / kQKK; ++i) {
    const float d = half(b[i].d), dmin = half(b[i].dmin);
    const __m128i qh0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b[i].qh));
    const __m128i qh1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b[i].qh + 16));
    for (int g = 0; g < 8; g += 2, x += 64) {
      const uint8_t* q = b[i].qs + 16 * g;
      const __m128i r0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(q));
      const __m128i r1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(q + 16));
      // Fifth bit of value 32g + l is bit g of qh[l]; placed at bit 4 of each byte.
      const __m128i h00 = _mm_slli_epi16(_mm_and_si128(_mm_srli_epi16(qh0, g), one), 4);
      const __m128i h01 = _mm_slli_epi16(_mm_and_si128(_mm_srli_epi16(qh1, g), one), 4);
      const __m128i h10 = _mm_slli_epi16(_mm_and_si128(_mm_srli_epi16(qh0, g + 1), one), 4);
      const __m128i h11 = _mm_slli_epi16(_mm_and_si128(_mm_srli_epi16(qh1, g + 1), one), 4);
      const __m256 qx0 = _mm256_add_ps(dot16(_mm_or_si128(_mm_and_si128(r0, mask), h00), x),
                                       dot16(_mm_or_si128(_mm_and_si128(r1, mask), h01), x + 16));
      const __m256 qx1 = _mm256_add_ps(dot16(_mm_or_si128(_mm_and_si128(_mm_srli_epi16(r0, 4), mask), h10), x + 32),
                                       dot16(_mm_or_si128(_mm_and_si128(_mm_srli_epi16(r1, 4), mask), h11), x + 48));
      const __m256 sx0 = _mm256_add_ps(sum16(x), sum16(x + 16));
      const __m256 sx1 = _mm256_add_ps(sum16(x + 32), sum16(x + 48));
      float sc0, mn0, sc1, mn1;
      scale_min_k4(g, b[i].scales, &sc0, &mn0);
      scale_min_k4(g + 1, b[i].scales, &sc1, &mn1);
      acc = _mm256_fmadd_ps(_mm256_set1_ps(d * sc0), qx0, acc);
      acc = _mm256_fnmadd_ps(_mm256_set1_ps(dmin * mn0), sx0, acc);
      acc = _mm256_fmadd_ps(_mm256_set1_ps(d * sc1), qx1, acc);
      acc = _mm256_fnmadd_ps(_mm256_set1_ps(dmin * mn1), sx1, acc);
    }
  }
  return hsum(acc);
}

// ---- Dequantization (the multi-token matmul path converts each weight row once) ----
// Products and differences are computed as separate multiply and subtract, never fused, so
// results equal the scalar kernels' bit for bit.

// y[0..16) = d * q for 16 signed bytes q.
void store16(__m128i q, __m256 d, float* y) {
  _mm256_storeu_ps(y, _mm256_mul_ps(d, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q))));
  _mm256_storeu_ps(y + 8, _mm256_mul_ps(d, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(q, 8)))));
}

// y[0..16) = d * q - m for 16 unsigned bytes q (< 128).
void store16_min(__m128i q, __m256 d, __m256 m, float* y) {
  const __m256 lo = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q));
  const __m256 hi = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(q, 8)));
  _mm256_storeu_ps(y, _mm256_sub_ps(_mm256_mul_ps(d, lo), m));
  _mm256_storeu_ps(y + 8, _mm256_sub_ps(_mm256_mul_ps(d, hi), m));
}

void dequantize_q8_0(const uint8_t* src, float* y, int64_t n) {
  const auto* b = reinterpret_cast<const BlockQ8_0*>(src);
  for (int64_t i = 0; i < n / kQK; ++i, y += kQK) {
    const __m256 d = _mm256_set1_ps(half(b[i].d));
    store16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b[i].qs)), d, y);
    store16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b[i].qs + 16)), d, y + 16);
  }
}

void dequantize_q4_0(const uint8_t* src, float* y, int64_t n) {
  const auto* b = reinterpret_cast<const BlockQ4_0*>(src);
  const __m128i mask = _mm_set1_epi8(0x0F), eight = _mm_set1_epi8(8);
  for (int64_t i = 0; i < n / kQK; ++i, y += kQK) {
    const __m256 d = _mm256_set1_ps(half(b[i].d));
    const __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b[i].qs));
    store16(_mm_sub_epi8(_mm_and_si128(raw, mask), eight), d, y);
    store16(_mm_sub_epi8(_mm_and_si128(_mm_srli_epi16(raw, 4), mask), eight), d, y + 16);
  }
}

void dequantize_q4_k(const uint8_t* src, float* y, int64_t n) {
  const auto* b = reinterpret_cast<const BlockQ4_K*>(src);
  const __m128i mask = _mm_set1_epi8(0x0F);
  for (int64_t i = 0; i < n / kQKK; ++i) {
    const float d = half(b[i].d), dmin = half(b[i].dmin);
    for (int g = 0; g < 8; g += 2, y += 64) {
      const uint8_t* q = b[i].qs + 16 * g;
      float sc0, mn0, sc1, mn1;
      scale_min_k4(g, b[i].scales, &sc0, &mn0);
      scale_min_k4(g + 1, b[i].scales, &sc1, &mn1);
      const __m256 d0 = _mm256_set1_ps(d * sc0), m0 = _mm256_set1_ps(dmin * mn0);
      const __m256 d1 = _mm256_set1_ps(d * sc1), m1 = _mm256_set1_ps(dmin * mn1);
      for (int h = 0; h < 2; ++h) {
        const __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(q + 16 * h));
        store16_min(_mm_and_si128(raw, mask), d0, m0, y + 16 * h);
        store16_min(_mm_and_si128(_mm_srli_epi16(raw, 4), mask), d1, m1, y + 32 + 16 * h);
      }
    }
  }
}

void dequantize_q6_k(const uint8_t* src, float* y, int64_t n) {
  const auto* b = reinterpret_cast<const BlockQ6_K*>(src);
  const __m128i m4 = _mm_set1_epi8(0x0F), m2 = _mm_set1_epi8(3), off = _mm_set1_epi8(32);
  for (int64_t i = 0; i < n / kQKK; ++i) {
    const float d = half(b[i].d);
    for (int h = 0; h < 2; ++h, y += 128) {
      const uint8_t* ql = b[i].ql + 64 * h;
      const uint8_t* qh = b[i].qh + 32 * h;
      const int8_t* sc = b[i].scales + 8 * h;
      for (int c = 0; c < 2; ++c) {
        const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(ql + 16 * c));
        const __m128i bb = _mm_loadu_si128(reinterpret_cast<const __m128i*>(ql + 32 + 16 * c));
        const __m128i hv = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qh + 16 * c));
        const __m128i h0 = _mm_slli_epi16(_mm_and_si128(hv, m2), 4);
        const __m128i h1 = _mm_slli_epi16(_mm_and_si128(_mm_srli_epi16(hv, 2), m2), 4);
        const __m128i h2 = _mm_slli_epi16(_mm_and_si128(_mm_srli_epi16(hv, 4), m2), 4);
        const __m128i h3 = _mm_slli_epi16(_mm_and_si128(_mm_srli_epi16(hv, 6), m2), 4);
        float* yc = y + 16 * c;
        // The scalar kernel computes d * (sc * q) with sc * q exact in int: the same here.
        const __m128i q0 = _mm_sub_epi8(_mm_or_si128(_mm_and_si128(a, m4), h0), off);
        const __m128i q1 = _mm_sub_epi8(_mm_or_si128(_mm_and_si128(bb, m4), h1), off);
        const __m128i q2 = _mm_sub_epi8(_mm_or_si128(_mm_and_si128(_mm_srli_epi16(a, 4), m4), h2), off);
        const __m128i q3 = _mm_sub_epi8(_mm_or_si128(_mm_and_si128(_mm_srli_epi16(bb, 4), m4), h3), off);
        const __m128i qs[4] = {q0, q1, q2, q3};
        for (int k = 0; k < 4; ++k) {
          const __m256i s = _mm256_set1_epi32(sc[c + 2 * k]);
          const __m256i lo = _mm256_mullo_epi32(s, _mm256_cvtepi8_epi32(qs[k]));
          const __m256i hi = _mm256_mullo_epi32(s, _mm256_cvtepi8_epi32(_mm_srli_si128(qs[k], 8)));
          _mm256_storeu_ps(yc + 32 * k, _mm256_mul_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(lo)));
          _mm256_storeu_ps(yc + 32 * k + 8, _mm256_mul_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(hi)));
        }
      }
    }
  }
}

// 8 lanes, each the sum of 4 adjacent u8 * s8 products (pairs saturate at int16: every caller
// keeps |u * s| * 2 below 32768).
__m256i mul_sum_us8(__m256i u, __m256i s) {
  return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1));
}

#include "kernels/qdot_x86.inc"

TypeKernels float_kernels(TensorType type) {
  switch (type) {
    case TensorType::F32:
      return TypeKernels{nullptr, dot_f32};
    case TensorType::F16:
      return TypeKernels{f16_to_f32, dot_f16};
    case TensorType::Q8_0:
      return TypeKernels{dequantize_q8_0, dot_q8_0};
    case TensorType::Q4_0:
      return TypeKernels{dequantize_q4_0, dot_q4_0};
    case TensorType::Q4_1:
      return TypeKernels{nullptr, dot_q4_1};
    case TensorType::Q5_0:
      return TypeKernels{nullptr, dot_q5_0};
    case TensorType::Q5_1:
      return TypeKernels{nullptr, dot_q5_1};
    case TensorType::Q2_K:
      return TypeKernels{nullptr, dot_q2_k};
    case TensorType::Q3_K:
      return TypeKernels{nullptr, dot_q3_k};
    case TensorType::Q4_K:
      return TypeKernels{dequantize_q4_k, dot_q4_k};
    case TensorType::Q5_K:
      return TypeKernels{nullptr, dot_q5_k};
    case TensorType::Q6_K:
      return TypeKernels{dequantize_q6_k, dot_q6_k};
    default:
      return TypeKernels{nullptr, nullptr};
  }
}

}  // namespace

TypeKernels kernels(TensorType type) {
  TypeKernels k = float_kernels(type);
  k.qdot = qdot_kernel(type);
  return k;
}

}  // namespace minerva::avx2

#else  // not built for x86 with AVX2: no variants, callers keep the scalar kernels

namespace minerva::avx2 {
TypeKernels kernels(TensorType /*type*/) { return TypeKernels{nullptr, nullptr}; }
}  // namespace minerva::avx2

#endif
