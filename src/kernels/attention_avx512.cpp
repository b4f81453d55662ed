// AVX-512 attention kernels (see attention_tile.h). Compiled with -mavx512f/bw/vl/dq, so like
// avx512.cpp it must not instantiate inline functions or templates of other headers:
// everything lives in an anonymous namespace and uses only intrinsics.
// Scores: sixteen accumulators, one per (key row, query head) pair of a block (16 rows x 1
// head ... 2 rows x 8 heads), each key chunk widened once (F16 in registers, masked loads for a
// head_dim tail) and FMA'd with every head's query; one transpose-and-add tree then turns the
// sixteen registers into sixteen scores. p.V: the values are widened once per row and FMA'd
// into up to eight heads' outputs held in registers.
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

__m512 exp16(__m512 x) {
  // max/min return their second operand when either is NaN, so NaN passes through.
  x = _mm512_max_ps(_mm512_set1_ps(-104.0f), x);
  x = _mm512_min_ps(_mm512_set1_ps(89.0f), x);
  const __m512 magic = _mm512_set1_ps(12582912.0f);
  const __m512 n = _mm512_sub_ps(_mm512_fmadd_ps(x, _mm512_set1_ps(1.44269504088896341f), magic), magic);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693145751953125f), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(1.42860682030941723212e-6f), r);
  __m512 p = _mm512_set1_ps(1.0f / 5040.0f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 720.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  const __m512i i = _mm512_cvtps_epi32(n);
  const __m512i i1 = _mm512_srai_epi32(i, 1);
  const __m512i i2 = _mm512_sub_epi32(i, i1);
  const __m512i bias = _mm512_set1_epi32(127);
  const __m512 s1 = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(i1, bias), 23));
  const __m512 s2 = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(i2, bias), 23));
  return _mm512_mul_ps(_mm512_mul_ps(p, s1), s2);
}

void exp_row(const float* x, float* y, int64_t n) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, exp16(_mm512_loadu_ps(x + i)));
  if (i < n) {
    const auto m = static_cast<__mmask16>((1u << (n - i)) - 1);
    _mm512_mask_storeu_ps(y + i, m, exp16(_mm512_maskz_loadu_ps(m, x + i)));
  }
}

float exp1(float x) { return _mm512_cvtss_f32(exp16(_mm512_set1_ps(x))); }

// Sixteen elements of a row from element d on, as floats.
template <bool F16>
__m512 load(const uint8_t* row, int64_t d) {
  if constexpr (F16) {
    return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(row + 2 * d)));
  } else {
    return _mm512_loadu_ps(reinterpret_cast<const float*>(row) + d);
  }
}

// The first elements of a row from d on that mask selects, zeros elsewhere (nothing past them read).
template <bool F16>
__m512 load_masked(const uint8_t* row, int64_t d, __mmask16 mask) {
  if constexpr (F16) {
    return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(mask, row + 2 * d));
  } else {
    return _mm512_maskz_loadu_ps(mask, reinterpret_cast<const float*>(row) + d);
  }
}

// Row j of the rows ahead (AttnTile::k_ahead / v_ahead), when there is one, on its way to L1.
void prefetch_row(const uint8_t* ahead, int64_t n_ahead, size_t row_bytes, int64_t j) {
  if (j >= n_ahead) return;
  const uint8_t* p = ahead + static_cast<size_t>(j) * row_bytes;
  for (size_t b = 0; b < row_bytes; b += 64) _mm_prefetch(reinterpret_cast<const char*>(p + b), _MM_HINT_T0);
}

// Lane j = the sum of a[j]'s sixteen lanes.
[[gnu::always_inline]] inline __m512 reduce16(const __m512* a) {
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
    e[i] =
        _mm512_add_ps(_mm512_shuffle_ps(c[2 * i], c[2 * i + 1], 0x88), _mm512_shuffle_ps(c[2 * i], c[2 * i + 1], 0xDD));
  }
  // Lane 4L + s holds key L + 4s.
  const __m512 r = _mm512_add_ps(_mm512_shuffle_ps(e[0], e[1], 0x88), _mm512_shuffle_ps(e[0], e[1], 0xDD));
  const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
  return _mm512_permutexvar_ps(order, r);
}

// Scores of heads g0..g0+G-1 over the tile, 16 / G rows at a time: sixteen accumulators
// (head g, row r at g * R + r), each key chunk widened once and FMA'd with all G heads' queries.
template <int G, bool F16>
void scores_heads(const AttnTile& t, int64_t g0, float* s) {
  constexpr int R = 16 / G;
  const int64_t hd = t.head_dim;
  const int64_t full = hd & ~int64_t{15};
  const auto tail = static_cast<__mmask16>((1u << (hd & 15)) - 1);
  const __m512 scale = _mm512_set1_ps(t.scale);
  const float* q = t.q + g0 * hd;
  for (int64_t j0 = 0; j0 < t.n; j0 += R) {
    if (g0 == 0) {
      for (int64_t r = j0; r < j0 + R; ++r) prefetch_row(t.k_ahead, t.n_ahead, t.row_bytes, r);
    }
    // Rows past the tile repeat its last row; their scores land past n and are ignored.
    const uint8_t* rows[R];
    for (int64_t r = 0; r < R; ++r) {
      const int64_t j = j0 + r < t.n ? j0 + r : t.n - 1;
      rows[r] = t.k + static_cast<size_t>(j) * t.row_bytes;
    }
    __m512 acc[16];
    for (__m512& a : acc) a = _mm512_setzero_ps();
    int64_t d = 0;
    for (; d < full; d += 16) {
      __m512 qv[G];
      for (int g = 0; g < G; ++g) qv[g] = _mm512_loadu_ps(q + g * hd + d);
#pragma GCC unroll 16
      for (int r = 0; r < R; ++r) {
        const __m512 k = load<F16>(rows[r], d);
        for (int g = 0; g < G; ++g) acc[g * R + r] = _mm512_fmadd_ps(k, qv[g], acc[g * R + r]);
      }
    }
    if (tail != 0) {
      __m512 qv[G];
      for (int g = 0; g < G; ++g) qv[g] = _mm512_maskz_loadu_ps(tail, q + g * hd + d);
#pragma GCC unroll 16
      for (int r = 0; r < R; ++r) {
        const __m512 k = load_masked<F16>(rows[r], d, tail);
        for (int g = 0; g < G; ++g) acc[g * R + r] = _mm512_fmadd_ps(k, qv[g], acc[g * R + r]);
      }
    }
    const __m512 res = _mm512_mul_ps(reduce16(acc), scale);
    // Lanes g * R .. g * R + R - 1 are head g's rows j0 .. j0 + R - 1.
    for (int g = 0; g < G; ++g) {
      const auto lanes = static_cast<__mmask16>(((1u << R) - 1) << (g * R));
      _mm512_mask_storeu_ps(s + (g0 + g) * kAttnTile + j0 - g * R, lanes, res);
    }
  }
}

// Heads in groups of 8, 4, 2 and 1 (the shapes scores_heads is built for).
template <bool F16>
void scores_t(const AttnTile& t, float* s) {
  for (int64_t g0 = 0; g0 < t.n_q;) {
    const int64_t left = t.n_q - g0;
    if (left >= 8) {
      scores_heads<8, F16>(t, g0, s);
      g0 += 8;
    } else if (left >= 4) {
      scores_heads<4, F16>(t, g0, s);
      g0 += 4;
    } else if (left >= 2) {
      scores_heads<2, F16>(t, g0, s);
      g0 += 2;
    } else {
      scores_heads<1, F16>(t, g0, s);
      g0 += 1;
    }
  }
}

// out[g0 + i][d0 .. d0 + 16 C) += sum_j p[g0 + i][j] v_j[...] for i < G: G x C accumulators,
// so each row's C chunks are widened once and consecutive FMAs never wait on each other (one
// chunk per pass waited on the 4-cycle FMA latency every row). Tail: C = 1 with `mask`.
template <int G, int C, bool F16, bool Tail>
void pv(const AttnTile& t, const float* s, int64_t g0, int64_t d0, __mmask16 mask, float* out) {
  const int64_t hd = t.head_dim;
  __m512 acc[G][C];
  for (int i = 0; i < G; ++i) {
    for (int c = 0; c < C; ++c) {
      float* o = out + (g0 + i) * hd + d0 + 16 * c;
      acc[i][c] = Tail ? _mm512_maskz_loadu_ps(mask, o) : _mm512_loadu_ps(o);
    }
  }
  const uint8_t* row = t.v;
  for (int64_t j = 0; j < t.n; ++j, row += t.row_bytes) {
    prefetch_row(t.v_ahead, t.n_ahead, t.row_bytes, j);
    __m512 v[C];
    for (int c = 0; c < C; ++c) v[c] = Tail ? load_masked<F16>(row, d0, mask) : load<F16>(row, d0 + 16 * c);
    for (int i = 0; i < G; ++i) {
      const __m512 p = _mm512_set1_ps(s[(g0 + i) * kAttnTile + j]);
      for (int c = 0; c < C; ++c) acc[i][c] = _mm512_fmadd_ps(p, v[c], acc[i][c]);
    }
  }
  for (int i = 0; i < G; ++i) {
    for (int c = 0; c < C; ++c) {
      float* o = out + (g0 + i) * hd + d0 + 16 * c;
      if (Tail) {
        _mm512_mask_storeu_ps(o, mask, acc[i][c]);
      } else {
        _mm512_storeu_ps(o, acc[i][c]);
      }
    }
  }
}

// Heads in groups of up to 8; whole chunks four (up to 4 heads), two or one at a time, then
// the head_dim tail.
template <bool F16>
void pv_heads(const AttnTile& t, const float* s, float* out) {
  using Fn = void (*)(const AttnTile&, const float*, int64_t, int64_t, __mmask16, float*);
  static constexpr Fn kFour[] = {pv<1, 4, F16, false>, pv<2, 4, F16, false>, pv<3, 4, F16, false>,
                                 pv<4, 4, F16, false>};
  static constexpr Fn kTwo[] = {pv<1, 2, F16, false>, pv<2, 2, F16, false>, pv<3, 2, F16, false>, pv<4, 2, F16, false>,
                                pv<5, 2, F16, false>, pv<6, 2, F16, false>, pv<7, 2, F16, false>, pv<8, 2, F16, false>};
  static constexpr Fn kOne[] = {pv<1, 1, F16, false>, pv<2, 1, F16, false>, pv<3, 1, F16, false>, pv<4, 1, F16, false>,
                                pv<5, 1, F16, false>, pv<6, 1, F16, false>, pv<7, 1, F16, false>, pv<8, 1, F16, false>};
  static constexpr Fn kTail[] = {pv<1, 1, F16, true>, pv<2, 1, F16, true>, pv<3, 1, F16, true>, pv<4, 1, F16, true>,
                                 pv<5, 1, F16, true>, pv<6, 1, F16, true>, pv<7, 1, F16, true>, pv<8, 1, F16, true>};
  const int64_t hd = t.head_dim;
  const int64_t full = hd & ~int64_t{15};
  // The first pass over the rows prefetches the rows ahead; later passes do not.
  AttnTile later = t;
  later.n_ahead = 0;
  const AttnTile* pass = &t;
  for (int64_t g0 = 0; g0 < t.n_q; g0 += 8) {
    const int64_t g = (t.n_q - g0 < 8 ? t.n_q - g0 : 8) - 1;
    int64_t d = 0;
    if (g < 4) {
      for (; d + 64 <= full; d += 64, pass = &later) kFour[g](*pass, s, g0, d, 0xFFFF, out);
    }
    for (; d + 32 <= full; d += 32, pass = &later) kTwo[g](*pass, s, g0, d, 0xFFFF, out);
    for (; d < full; d += 16, pass = &later) kOne[g](*pass, s, g0, d, 0xFFFF, out);
    if (d < hd) kTail[g](*pass, s, g0, d, static_cast<__mmask16>((1u << (hd - d)) - 1), out);
    pass = &later;
  }
}

void scores(const AttnTile& t, float* s) {
  if (t.f16) {
    scores_t<true>(t, s);
  } else {
    scores_t<false>(t, s);
  }
}

void update(const AttnTile& t, float* s, float* m, float* l, float* out) {
  const int64_t hd = t.head_dim;
  const int64_t nb = (t.n + 15) & ~int64_t{15};  // whole registers; the padding's weight is 0
  for (int64_t g = 0; g < t.n_q; ++g) {
    float* sg = s + g * kAttnTile;
    for (int64_t j = t.n; j < nb; ++j) sg[j] = -__builtin_inff();
    __m512 mx = _mm512_set1_ps(m[g]);
    for (int64_t j = 0; j < nb; j += 16) mx = _mm512_max_ps(mx, _mm512_loadu_ps(sg + j));
    const float m_new = _mm512_reduce_max_ps(mx);
    const float corr = exp1(m[g] - m_new);  // 0 on the first tile (m = -inf)
    const __m512 mv = _mm512_set1_ps(m_new);
    __m512 sum = _mm512_setzero_ps();
    for (int64_t j = 0; j < nb; j += 16) {
      const __m512 p = exp16(_mm512_sub_ps(_mm512_loadu_ps(sg + j), mv));
      _mm512_storeu_ps(sg + j, p);
      sum = _mm512_add_ps(sum, p);
    }
    l[g] = l[g] * corr + _mm512_reduce_add_ps(sum);
    m[g] = m_new;
    if (corr != 1.0f) {
      const __m512 cv = _mm512_set1_ps(corr);
      float* o = out + g * hd;
      for (int64_t d = 0; d < hd; d += 16) {
        const auto mask = static_cast<__mmask16>(hd - d >= 16 ? 0xFFFFu : (1u << (hd - d)) - 1);
        _mm512_mask_storeu_ps(o + d, mask, _mm512_mul_ps(_mm512_maskz_loadu_ps(mask, o + d), cv));
      }
    }
  }
  if (t.f16) {
    pv_heads<true>(t, s, out);
  } else {
    pv_heads<false>(t, s, out);
  }
}

}  // namespace

AttnKernels attn_kernels() { return AttnKernels{scores, update, exp_row}; }

}  // namespace minerva::avx512

#else  // not built for x86 with AVX-512: no variants, callers keep the lower level's kernels

namespace minerva::avx512 {
AttnKernels attn_kernels() { return AttnKernels{}; }
}  // namespace minerva::avx512

#endif
