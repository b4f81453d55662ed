// AVX-512 VNNI kernels. This file alone is compiled with -mavx512f/bw/vl/dq/vnni (plus the
// AVX2 set); like avx2.cpp it must not instantiate inline functions or templates of other
// headers, so everything lives in an anonymous namespace. The integer dots are the shared
// qdot_x86.inc source with vpdpbusd doing the u8 x s8 products (no int16 saturation, one
// instruction instead of two), and every instruction EVEX-encoded with 32 vector registers.
#include "kernels/avx512.h"

#include "kernels/gemm_avx512.h"
#include "kernels/gemv_avx512.h"

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__) && defined(__AVX512VNNI__) && \
    defined(__FMA__) && defined(__F16C__)
#include <immintrin.h>

#include "kernels/qdot.h"
#include "kernels/quant_blocks.h"

namespace minerva::avx512 {

namespace {
using namespace quant;

float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

float half(uint16_t h) { return _cvtsh_ss(h); }

__m256i mul_sum_us8(__m256i u, __m256i s) { return _mm256_dpbusd_epi32(_mm256_setzero_si256(), u, s); }

#include "kernels/qdot_x86.inc"

}  // namespace

TypeKernels kernels(TensorType type) {
  TypeKernels k;
  k.qdot = qdot_kernel(type);
  add_gemv(type, k);
  add_gemm(type, k);
  return k;
}

}  // namespace minerva::avx512

#else  // not built for x86 with AVX-512: no variants, callers keep the lower level's kernels

namespace minerva::avx512 {
TypeKernels kernels(TensorType /*type*/) { return TypeKernels{}; }
}  // namespace minerva::avx512

#endif
