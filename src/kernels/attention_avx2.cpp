// AVX2 + FMA + F16C attention kernels (see attention_tile.h): attention_x86.inc with eight
// lanes. Compiled with -mavx2 -mfma -mf16c, so like avx2.cpp it must not instantiate inline
// functions or templates of other headers: everything lives in an anonymous namespace and uses
// only intrinsics. The scores' reduction is a hadd tree; a head_dim that is not a multiple of
// 8 goes through a zero-padded copy of the last few elements (AVX2 has no masked 16-bit loads).
#include "kernels/attention_tile.h"

#if defined(__AVX2__) && defined(__FMA__) && defined(__F16C__)
#include <immintrin.h>

namespace minerva::avx2 {

namespace {

struct V {
  using T = __m256;
  static constexpr int kLanes = 8;
  static constexpr int kWide = 2;  // 4 heads x 2 chunks + 2 values: 10 of 16 registers
  static constexpr int kMid = 1;

  static T zero() { return _mm256_setzero_ps(); }
  static T set1(float x) { return _mm256_set1_ps(x); }
  static T loadu(const float* x) { return _mm256_loadu_ps(x); }
  static void storeu(float* y, T v) { _mm256_storeu_ps(y, v); }
  static T add(T a, T b) { return _mm256_add_ps(a, b); }
  static T sub(T a, T b) { return _mm256_sub_ps(a, b); }
  static T mul(T a, T b) { return _mm256_mul_ps(a, b); }
  static T max(T a, T b) { return _mm256_max_ps(a, b); }
  static T min(T a, T b) { return _mm256_min_ps(a, b); }
  // p * 2^n for n an integral float in [-151, 128]: two factors 2^(n/2) * 2^(n - n/2), so
  // results down to the subnormals round once and no exponent field overflows.
  static T scale_pow2(T p, T n) {
    const __m256i i = _mm256_cvtps_epi32(n);
    const __m256i i1 = _mm256_srai_epi32(i, 1);
    const __m256i i2 = _mm256_sub_epi32(i, i1);
    const __m256i bias = _mm256_set1_epi32(127);
    const __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(i1, bias), 23));
    const __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(i2, bias), 23));
    return _mm256_mul_ps(_mm256_mul_ps(p, s1), s2);
  }
  static T fmadd(T a, T b, T c) { return _mm256_fmadd_ps(a, b, c); }
  static float first(T v) { return _mm256_cvtss_f32(v); }

  static float hmax(T v) {
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_movehdup_ps(m));
    return _mm_cvtss_f32(m);
  }

  static float hsum(T v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }

  static T load_floats(const float* x, int64_t n) {
    if (n >= 8) return _mm256_loadu_ps(x);
    float buf[8] = {};
    for (int64_t i = 0; i < n; ++i) buf[i] = x[i];
    return _mm256_loadu_ps(buf);
  }

  static void store_floats(float* y, T v, int64_t n) {
    if (n >= 8) {
      _mm256_storeu_ps(y, v);
      return;
    }
    float buf[8];
    _mm256_storeu_ps(buf, v);
    for (int64_t i = 0; i < n; ++i) y[i] = buf[i];
  }

  static void store_halves(uint16_t* y, T v, int64_t n) {
    const __m128i h = _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT);
    if (n >= 8) {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(y), h);
      return;
    }
    alignas(16) uint16_t buf[8];
    _mm_store_si128(reinterpret_cast<__m128i*>(buf), h);
    for (int64_t i = 0; i < n; ++i) y[i] = buf[i];
  }

  template <bool F16>
  static T load(const uint8_t* row, int64_t d) {
    if constexpr (F16) {
      return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(row + 2 * d)));
    } else {
      return _mm256_loadu_ps(reinterpret_cast<const float*>(row) + d);
    }
  }

  template <bool F16>
  static T load_part(const uint8_t* row, int64_t d, int64_t cnt) {
    if constexpr (F16) {
      const auto* h = reinterpret_cast<const uint16_t*>(row) + d;
      alignas(16) uint16_t buf[8] = {};
      for (int64_t i = 0; i < cnt; ++i) buf[i] = h[i];
      return _mm256_cvtph_ps(_mm_load_si128(reinterpret_cast<const __m128i*>(buf)));
    } else {
      return load_floats(reinterpret_cast<const float*>(row) + d, cnt);
    }
  }

  [[gnu::always_inline]] static T reduce(const T* a) {
    const __m256 h01 = _mm256_hadd_ps(a[0], a[1]);
    const __m256 h23 = _mm256_hadd_ps(a[2], a[3]);
    const __m256 h45 = _mm256_hadd_ps(a[4], a[5]);
    const __m256 h67 = _mm256_hadd_ps(a[6], a[7]);
    // 128-bit half h of h0123 holds keys 0..3's sums over their half h.
    const __m256 h0123 = _mm256_hadd_ps(h01, h23);
    const __m256 h4567 = _mm256_hadd_ps(h45, h67);
    return _mm256_add_ps(_mm256_permute2f128_ps(h0123, h4567, 0x20), _mm256_permute2f128_ps(h0123, h4567, 0x31));
  }

  static void store_lanes(float* y, T v, int first, int count) {
    float buf[8];
    _mm256_storeu_ps(buf, v);
    for (int i = 0; i < count; ++i) y[i] = buf[first + i];
  }
};

#include "kernels/attention_x86.inc"

}  // namespace

AttnKernels attn_kernels() { return AttnKernels{scores, update, exp_row, to_f16}; }

}  // namespace minerva::avx2

#else  // not built for x86 with AVX2: no variants, callers keep the scalar kernels

namespace minerva::avx2 {
AttnKernels attn_kernels() { return AttnKernels{}; }
}  // namespace minerva::avx2

#endif
