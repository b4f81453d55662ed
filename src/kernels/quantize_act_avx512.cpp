// AVX-512 activation quantizers: the same blocks, byte for byte, as the scalar ones in
// qdot_scalar.cpp (tests compare them exactly), which cost ~7% of prompt processing in scalar
// code. Rounding is to nearest even (VRNDSCALEPS, as the scalar magic-number add), NaN and
// infinity go through max/min in the scalar code's operand order so they land on the same
// codes, and f16 scale rounding uses F16C (exact, like fp32_to_fp16). Like avx512.cpp, this
// file is compiled with AVX-512 enabled and keeps everything in an anonymous namespace.
#include "kernels/quantize_act_avx512.h"

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__) && defined(__F16C__)
#include <immintrin.h>

#include "kernels/qdot.h"
#include "kernels/quant_blocks.h"

// GCC 12's AVX-512 intrinsics start some results from _mm512_undefined_*(), which its
// -Wmaybe-uninitialized / -Wuninitialized report at every use (a known false positive).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

namespace minerva::avx512 {

namespace {
using namespace quant;

__m512 abs_ps(__m512 v) {
  return _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(v), _mm512_set1_epi32(0x7fffffff)));
}

// Largest |x| of 16 floats folded into acc; a NaN in x is skipped (MAXPS returns its second
// operand when the first is NaN), as std::max(acc, |x|) skips it in the scalar code.
__m512 fold_amax(__m512 acc, __m512 x) { return _mm512_max_ps(abs_ps(x), acc); }

// round_i8 of qdot_scalar.cpp on 16 lanes: nearest even, then fmax(., -127) (a NaN becomes
// -127) and fmin(., 127), as int32.
__m512i round_i8(__m512 v) {
  const __m512 r = _mm512_roundscale_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  const __m512 lo = _mm512_max_ps(r, _mm512_set1_ps(-127.0f));
  return _mm512_cvtps_epi32(_mm512_min_ps(lo, _mm512_set1_ps(127.0f)));
}

float f16_round(float d) { return _cvtsh_ss(_cvtss_sh(d, _MM_FROUND_TO_NEAREST_INT)); }

// One 32-value block: the scale (f16-rounded where it fits) and the 32 codes as two int32
// vectors.
struct Block32 {
  float d;
  __m512i q0, q1;
};

Block32 quantize32(const float* x) {
  const __m512 x0 = _mm512_loadu_ps(x), x1 = _mm512_loadu_ps(x + 16);
  const float amax = _mm512_reduce_max_ps(fold_amax(fold_amax(_mm512_setzero_ps(), x0), x1));
  const float d = amax / 127.0f;
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  const __m512 vid = _mm512_set1_ps(id);
  return {d < 65504.0f ? f16_round(d) : d, round_i8(_mm512_mul_ps(x0, vid)), round_i8(_mm512_mul_ps(x1, vid))};
}

void store16(int8_t* dst, __m512i q) { _mm_storeu_si128(reinterpret_cast<__m128i*>(dst), _mm512_cvtepi32_epi8(q)); }

void quantize_act_q8a(const float* x, uint8_t* dst, int64_t n) {
  auto* y = reinterpret_cast<BlockQ8A*>(dst);
  for (int64_t i = 0; i < n / kQK; ++i, x += kQK) {
    const Block32 b = quantize32(x);
    y[i].d = b.d;
    y[i].sum = _mm512_reduce_add_epi32(_mm512_add_epi32(b.q0, b.q1));
    store16(y[i].qs, b.q0);
    store16(y[i].qs + 16, b.q1);
  }
}

template <int Shift>
void quantize_act_q8a4(const float* x, uint8_t* dst, int64_t n) {
  auto* y = reinterpret_cast<BlockQ8A4*>(dst);
  for (int64_t g = 0; g < n / kQ8A4Elems; ++g) {
    BlockQ8A4& out = y[g];
    for (int b = 0; b < 4; ++b, x += kQK) {
      const Block32 blk = quantize32(x);
      store16(out.lo + 16 * b, blk.q0);
      store16(out.hi + 16 * b, blk.q1);
      // Lane l of q0 + q1 is q[l] + q[16 + l]; each group of 4 lanes is one corr entry.
      alignas(64) int32_t pair[16];
      _mm512_store_si512(pair, _mm512_add_epi32(blk.q0, blk.q1));
      for (int q = 0; q < 4; ++q) {
        out.corr[4 * b + q] = -(pair[4 * q] + pair[4 * q + 1] + pair[4 * q + 2] + pair[4 * q + 3]) * (1 << Shift);
        out.d[4 * b + q] = blk.d;
      }
    }
  }
}

void quantize_act_q8k(const float* x, uint8_t* dst, int64_t n) {
  auto* y = reinterpret_cast<BlockQ8_K*>(dst);
  for (int64_t i = 0; i < n / kQKK; ++i, x += kQKK) {
    __m512 acc = _mm512_setzero_ps();
    for (int v = 0; v < kQKK / 16; ++v) acc = fold_amax(acc, _mm512_loadu_ps(x + 16 * v));
    const float amax = _mm512_reduce_max_ps(acc);
    BlockQ8_K& out = y[i];
    if (amax == 0.0f) {
      __builtin_memset(&out, 0, sizeof(out));
      continue;
    }
    // The first value of largest magnitude, with its sign (the scalar code's strict '>' scan).
    float max = 0.0f;
    const __m512 va = _mm512_set1_ps(amax);
    for (int v = 0; v < kQKK / 16; ++v) {
      const __mmask16 hit = _mm512_cmp_ps_mask(abs_ps(_mm512_loadu_ps(x + 16 * v)), va, _CMP_EQ_OQ);
      if (hit != 0) {
        max = x[16 * v + __builtin_ctz(hit)];
        break;
      }
    }
    const float iscale = -127.0f / max;
    const __m512 vs = _mm512_set1_ps(iscale);
    for (int v = 0; v < kQKK / 16; ++v) {
      const __m512i q = round_i8(_mm512_mul_ps(vs, _mm512_loadu_ps(x + 16 * v)));
      store16(out.qs + 16 * v, q);
      out.bsums[v] = static_cast<int16_t>(_mm512_reduce_add_epi32(q));
    }
    out.d = 1.0f / iscale;
  }
}

void quantize_act_q8kg(const float* x, uint8_t* dst, int64_t n) {
  auto* y = reinterpret_cast<BlockQ8_KG*>(dst);
  for (int64_t i = 0; i < n / kQKK; ++i) {
    BlockQ8_K block;
    quantize_act_q8k(x + i * kQKK, reinterpret_cast<uint8_t*>(&block), kQKK);
    scalar::q8k_gemv_layout(block, y[i]);
  }
}

}  // namespace

void add_act_quantizers(TypeKernels& k) {
  if (k.quantize_act != nullptr && k.act_block_elems == kQK) k.quantize_act = quantize_act_q8a;
  if (k.quantize_act != nullptr && k.act_block_elems == kQKK) k.quantize_act = quantize_act_q8k;
  if (k.gemv_quantize_act == scalar::quantize_act_q8a4_off8) k.gemv_quantize_act = quantize_act_q8a4<3>;
  if (k.gemv_quantize_act == scalar::quantize_act_q8a4_off16) k.gemv_quantize_act = quantize_act_q8a4<4>;
  if (k.gemv_quantize_act == scalar::quantize_act_q8a4_off128) k.gemv_quantize_act = quantize_act_q8a4<7>;
  if (k.gemv_quantize_act == scalar::quantize_act_q8k) k.gemv_quantize_act = quantize_act_q8k;
  if (k.gemv_quantize_act == scalar::quantize_act_q8kg) k.gemv_quantize_act = quantize_act_q8kg;
}

}  // namespace minerva::avx512

#else  // not built for x86 with AVX-512: the scalar quantizers stay

namespace minerva::avx512 {
void add_act_quantizers(TypeKernels& /*k*/) {}
}  // namespace minerva::avx512

#endif
