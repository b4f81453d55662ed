// AVX-512 attention kernels (see attention_tile.h): attention_x86.inc with sixteen lanes.
// Compiled with -mavx512f/bw/vl/dq, so like avx512.cpp it must not instantiate inline functions
// or templates of other headers: everything lives in an anonymous namespace and uses only
// intrinsics. The scores' reduction is one transpose-and-add tree over sixteen registers;
// F16 rows are widened in registers and a head_dim tail is read with masked loads.
#include "kernels/attention_tile.h"

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__) && defined(__AVX512DQ__) && \
    defined(__FMA__) && defined(__F16C__)
#include <immintrin.h>

// GCC 12's AVX-512 intrinsics start some results from _mm512_undefined_*(), which its
// -Wmaybe-uninitialized / -Wuninitialized report at every use (a known false positive).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

namespace minerva::avx512 {

namespace {

struct V {
  using T = __m512;
  static constexpr int kLanes = 16;
  static constexpr int kWide = 4;  // 4 heads x 4 chunks + 4 values: 20 of 32 registers
  static constexpr int kMid = 2;   // 8 heads x 2 chunks + 2 values: 18

  static T zero() { return _mm512_setzero_ps(); }
  static T set1(float x) { return _mm512_set1_ps(x); }
  static T loadu(const float* x) { return _mm512_loadu_ps(x); }
  static void storeu(float* y, T v) { _mm512_storeu_ps(y, v); }
  static T add(T a, T b) { return _mm512_add_ps(a, b); }
  static T sub(T a, T b) { return _mm512_sub_ps(a, b); }
  static T mul(T a, T b) { return _mm512_mul_ps(a, b); }
  static T max(T a, T b) { return _mm512_max_ps(a, b); }
  static T min(T a, T b) { return _mm512_min_ps(a, b); }
  // p * 2^n for n an integral float in [-151, 128]: two factors 2^(n/2) * 2^(n - n/2), so
  // results down to the subnormals round once and no exponent field overflows.
  static T scale_pow2(T p, T n) {
    const __m512i i = _mm512_cvtps_epi32(n);
    const __m512i i1 = _mm512_srai_epi32(i, 1);
    const __m512i i2 = _mm512_sub_epi32(i, i1);
    const __m512i bias = _mm512_set1_epi32(127);
    const __m512 s1 = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(i1, bias), 23));
    const __m512 s2 = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(i2, bias), 23));
    return _mm512_mul_ps(_mm512_mul_ps(p, s1), s2);
  }
  static T fmadd(T a, T b, T c) { return _mm512_fmadd_ps(a, b, c); }
  static float first(T v) { return _mm512_cvtss_f32(v); }
  static float hmax(T v) { return _mm512_reduce_max_ps(v); }
  static float hsum(T v) { return _mm512_reduce_add_ps(v); }

  // Lanes 0..n of a 16-lane register (all of them when n >= 16).
  static __mmask16 first_lanes(int64_t n) { return n >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << n) - 1); }

  static T load_floats(const float* x, int64_t n) { return _mm512_maskz_loadu_ps(first_lanes(n), x); }
  static void store_floats(float* y, T v, int64_t n) { _mm512_mask_storeu_ps(y, first_lanes(n), v); }

  static void store_halves(uint16_t* y, T v, int64_t n) {
    _mm256_mask_storeu_epi16(y, first_lanes(n), _mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT));
  }

  template <bool F16>
  static T load(const uint8_t* row, int64_t d) {
    if constexpr (F16) {
      return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(row + 2 * d)));
    } else {
      return _mm512_loadu_ps(reinterpret_cast<const float*>(row) + d);
    }
  }

  template <bool F16>
  static T load_part(const uint8_t* row, int64_t d, int64_t cnt) {
    if constexpr (F16) {
      return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(first_lanes(cnt), row + 2 * d));
    } else {
      return load_floats(reinterpret_cast<const float*>(row) + d, cnt);
    }
  }

  [[gnu::always_inline]] static T reduce(const T* a) {
    __m512 b[8], c[4], e[2];
    // Halves: b[i] = [a[2i] lo256 + hi256 | a[2i+1] lo256 + hi256].
    for (int i = 0; i < 8; ++i) {
      b[i] = _mm512_add_ps(_mm512_shuffle_f32x4(a[2 * i], a[2 * i + 1], 0x44),
                           _mm512_shuffle_f32x4(a[2 * i], a[2 * i + 1], 0xEE));
    }
    // Quarters: 128-bit lane L of c[i] holds four partial sums of key 4i + L.
    for (int i = 0; i < 4; ++i) {
      c[i] = _mm512_add_ps(_mm512_shuffle_f32x4(b[2 * i], b[2 * i + 1], 0x88),
                           _mm512_shuffle_f32x4(b[2 * i], b[2 * i + 1], 0xDD));
    }
    // Pairs within each 128-bit lane L: [key 8i+L, key 8i+L, key 8i+4+L, key 8i+4+L].
    for (int i = 0; i < 2; ++i) {
      e[i] = _mm512_add_ps(_mm512_shuffle_ps(c[2 * i], c[2 * i + 1], 0x88),
                           _mm512_shuffle_ps(c[2 * i], c[2 * i + 1], 0xDD));
    }
    // Lane 4L + s holds key L + 4s.
    const __m512 r = _mm512_add_ps(_mm512_shuffle_ps(e[0], e[1], 0x88), _mm512_shuffle_ps(e[0], e[1], 0xDD));
    const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    return _mm512_permutexvar_ps(order, r);
  }

  // One masked store: lane first + i lands at y[i] (callers' y - first stays inside their array).
  static void store_lanes(float* y, T v, int first, int count) {
    _mm512_mask_storeu_ps(y - first, static_cast<__mmask16>(first_lanes(count) << first), v);
  }
};

#include "kernels/attention_x86.inc"

}  // namespace

AttnKernels attn_kernels() { return AttnKernels{scores, update, exp_row, to_f16}; }

}  // namespace minerva::avx512

#else  // not built for x86 with AVX-512: no variants, callers keep the lower level's kernels

namespace minerva::avx512 {
AttnKernels attn_kernels() { return AttnKernels{}; }
}  // namespace minerva::avx512

#endif
