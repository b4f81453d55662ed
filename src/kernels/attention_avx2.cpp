// AVX2 + FMA + F16C attention kernels (see attention_tile.h). Compiled with -mavx2 -mfma
// -mf16c, so like avx2.cpp it must not instantiate inline functions or templates of other
// headers: everything lives in an anonymous namespace and uses only intrinsics.
// Same shape as attention_avx512.cpp with eight lanes: eight accumulators per block of (key row,
// query head) pairs, each key chunk widened once for all the block's heads, reduced to eight
// scores by a hadd tree; p.V with the value row widened once and FMA'd into up to eight heads'
// outputs. A head_dim that is not a
// multiple of 8 goes through a zero-padded copy of the last few elements (AVX2 has no masked
// 16-bit loads).
#include "kernels/attention_tile.h"

#if defined(__AVX2__) && defined(__FMA__) && defined(__F16C__)
#include <immintrin.h>

namespace minerva::avx2 {

namespace {

__m256 exp8(__m256 x) {
  // max/min return their second operand when either is NaN, so NaN passes through.
  x = _mm256_max_ps(_mm256_set1_ps(-104.0f), x);
  x = _mm256_min_ps(_mm256_set1_ps(89.0f), x);
  const __m256 magic = _mm256_set1_ps(12582912.0f);
  const __m256 n = _mm256_sub_ps(_mm256_fmadd_ps(x, _mm256_set1_ps(1.44269504088896341f), magic), magic);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693145751953125f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(1.42860682030941723212e-6f), r);
  __m256 p = _mm256_set1_ps(1.0f / 5040.0f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 720.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  const __m256i i = _mm256_cvtps_epi32(n);
  const __m256i i1 = _mm256_srai_epi32(i, 1);
  const __m256i i2 = _mm256_sub_epi32(i, i1);
  const __m256i bias = _mm256_set1_epi32(127);
  const __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(i1, bias), 23));
  const __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(i2, bias), 23));
  return _mm256_mul_ps(_mm256_mul_ps(p, s1), s2);
}

// Eight floats from x[0..n), zeros past n (n <= 8; nothing past x[n - 1] read).
__m256 load_floats(const float* x, int64_t n) {
  if (n >= 8) return _mm256_loadu_ps(x);
  float buf[8] = {};
  for (int64_t i = 0; i < n; ++i) buf[i] = x[i];
  return _mm256_loadu_ps(buf);
}

void store_floats(float* y, __m256 v, int64_t n) {
  if (n >= 8) {
    _mm256_storeu_ps(y, v);
    return;
  }
  float buf[8];
  _mm256_storeu_ps(buf, v);
  for (int64_t i = 0; i < n; ++i) y[i] = buf[i];
}

void exp_row(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; i += 8) store_floats(y + i, exp8(load_floats(x + i, n - i)), n - i);
}

float exp1(float x) { return _mm256_cvtss_f32(exp8(_mm256_set1_ps(x))); }

// Eight elements of a row from element d on, as floats.
template <bool F16>
__m256 load(const uint8_t* row, int64_t d) {
  if constexpr (F16) {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(row + 2 * d)));
  } else {
    return _mm256_loadu_ps(reinterpret_cast<const float*>(row) + d);
  }
}

// The first cnt (< 8) elements of a row from d on, zeros after them.
template <bool F16>
__m256 load_part(const uint8_t* row, int64_t d, int64_t cnt) {
  if constexpr (F16) {
    const auto* h = reinterpret_cast<const uint16_t*>(row) + d;
    alignas(16) uint16_t buf[8] = {};
    for (int64_t i = 0; i < cnt; ++i) buf[i] = h[i];
    return _mm256_cvtph_ps(_mm_load_si128(reinterpret_cast<const __m128i*>(buf)));
  } else {
    return load_floats(reinterpret_cast<const float*>(row) + d, cnt);
  }
}

// Lane j = the sum of a[j]'s eight lanes.
[[gnu::always_inline]] inline __m256 reduce8(const __m256* a) {
  const __m256 h01 = _mm256_hadd_ps(a[0], a[1]);
  const __m256 h23 = _mm256_hadd_ps(a[2], a[3]);
  const __m256 h45 = _mm256_hadd_ps(a[4], a[5]);
  const __m256 h67 = _mm256_hadd_ps(a[6], a[7]);
  // 128-bit half h of h0123 holds keys 0..3's sums over their half h.
  const __m256 h0123 = _mm256_hadd_ps(h01, h23);
  const __m256 h4567 = _mm256_hadd_ps(h45, h67);
  return _mm256_add_ps(_mm256_permute2f128_ps(h0123, h4567, 0x20), _mm256_permute2f128_ps(h0123, h4567, 0x31));
}

// Row j of the rows ahead (AttnTile::k_ahead / v_ahead), when there is one, on its way to L1.
void prefetch_row(const uint8_t* ahead, int64_t n_ahead, size_t row_bytes, int64_t j) {
  if (j >= n_ahead) return;
  const uint8_t* p = ahead + static_cast<size_t>(j) * row_bytes;
  for (size_t b = 0; b < row_bytes; b += 64) _mm_prefetch(reinterpret_cast<const char*>(p + b), _MM_HINT_T0);
}

// Scores of heads g0..g0+G-1 over the tile, 8 / G rows at a time: eight accumulators (head g,
// row r at g * R + r), each key chunk widened once and FMA'd with all G heads' queries.
template <int G, bool F16>
void scores_heads(const AttnTile& t, int64_t g0, float* s) {
  constexpr int R = 8 / G;
  const int64_t hd = t.head_dim;
  const int64_t full = hd & ~int64_t{7};
  const int64_t tail = hd - full;
  const __m256 scale = _mm256_set1_ps(t.scale);
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
    __m256 acc[8];
    for (__m256& a : acc) a = _mm256_setzero_ps();
    int64_t d = 0;
    for (; d < full; d += 8) {
      __m256 qv[G];
      for (int g = 0; g < G; ++g) qv[g] = _mm256_loadu_ps(q + g * hd + d);
#pragma GCC unroll 8
      for (int r = 0; r < R; ++r) {
        const __m256 k = load<F16>(rows[r], d);
        for (int g = 0; g < G; ++g) acc[g * R + r] = _mm256_fmadd_ps(k, qv[g], acc[g * R + r]);
      }
    }
    if (tail != 0) {
      __m256 qv[G];
      for (int g = 0; g < G; ++g) qv[g] = load_floats(q + g * hd + d, tail);
      for (int r = 0; r < R; ++r) {
        const __m256 k = load_part<F16>(rows[r], d, tail);
        for (int g = 0; g < G; ++g) acc[g * R + r] = _mm256_fmadd_ps(k, qv[g], acc[g * R + r]);
      }
    }
    // Lanes g * R .. g * R + R - 1 are head g's rows j0 .. j0 + R - 1.
    float res[8];
    _mm256_storeu_ps(res, _mm256_mul_ps(reduce8(acc), scale));
    for (int g = 0; g < G; ++g) {
      for (int r = 0; r < R; ++r) s[(g0 + g) * kAttnTile + j0 + r] = res[g * R + r];
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

// out[g0 + i][d0 .. d0 + 8 C) += sum_j p[g0 + i][j] v_j[...] for i < G: G x C accumulators,
// so consecutive FMAs do not wait on each other's latency. Tail: C = 1 and cnt < 8 elements.
template <int G, int C, bool F16, bool Tail>
void pv(const AttnTile& t, const float* s, int64_t g0, int64_t d0, int64_t cnt, float* out) {
  const int64_t hd = t.head_dim;
  __m256 acc[G][C];
  for (int i = 0; i < G; ++i) {
    for (int c = 0; c < C; ++c) {
      const float* o = out + (g0 + i) * hd + d0 + 8 * c;
      acc[i][c] = Tail ? load_floats(o, cnt) : _mm256_loadu_ps(o);
    }
  }
  const uint8_t* row = t.v;
  for (int64_t j = 0; j < t.n; ++j, row += t.row_bytes) {
    prefetch_row(t.v_ahead, t.n_ahead, t.row_bytes, j);
    __m256 v[C];
    for (int c = 0; c < C; ++c) v[c] = Tail ? load_part<F16>(row, d0, cnt) : load<F16>(row, d0 + 8 * c);
    for (int i = 0; i < G; ++i) {
      const __m256 p = _mm256_set1_ps(s[(g0 + i) * kAttnTile + j]);
      for (int c = 0; c < C; ++c) acc[i][c] = _mm256_fmadd_ps(p, v[c], acc[i][c]);
    }
  }
  for (int i = 0; i < G; ++i) {
    for (int c = 0; c < C; ++c) {
      float* o = out + (g0 + i) * hd + d0 + 8 * c;
      if (Tail) {
        store_floats(o, acc[i][c], cnt);
      } else {
        _mm256_storeu_ps(o, acc[i][c]);
      }
    }
  }
}

// Heads in groups of up to 8; whole chunks two at a time (up to 4 heads) or one, then the
// head_dim tail.
template <bool F16>
void pv_heads(const AttnTile& t, const float* s, float* out) {
  using Fn = void (*)(const AttnTile&, const float*, int64_t, int64_t, int64_t, float*);
  static constexpr Fn kTwo[] = {pv<1, 2, F16, false>, pv<2, 2, F16, false>, pv<3, 2, F16, false>, pv<4, 2, F16, false>};
  static constexpr Fn kOne[] = {pv<1, 1, F16, false>, pv<2, 1, F16, false>, pv<3, 1, F16, false>, pv<4, 1, F16, false>,
                                pv<5, 1, F16, false>, pv<6, 1, F16, false>, pv<7, 1, F16, false>, pv<8, 1, F16, false>};
  static constexpr Fn kTail[] = {pv<1, 1, F16, true>, pv<2, 1, F16, true>, pv<3, 1, F16, true>, pv<4, 1, F16, true>,
                                 pv<5, 1, F16, true>, pv<6, 1, F16, true>, pv<7, 1, F16, true>, pv<8, 1, F16, true>};
  const int64_t hd = t.head_dim;
  const int64_t full = hd & ~int64_t{7};
  // The first pass over the rows prefetches the rows ahead; later passes do not.
  AttnTile later = t;
  later.n_ahead = 0;
  const AttnTile* pass = &t;
  for (int64_t g0 = 0; g0 < t.n_q; g0 += 8) {
    const int64_t g = (t.n_q - g0 < 8 ? t.n_q - g0 : 8) - 1;
    int64_t d = 0;
    if (g < 4) {
      for (; d + 16 <= full; d += 16, pass = &later) kTwo[g](*pass, s, g0, d, 8, out);
    }
    for (; d < full; d += 8, pass = &later) kOne[g](*pass, s, g0, d, 8, out);
    if (d < hd) kTail[g](*pass, s, g0, d, hd - d, out);
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

float hmax(__m256 v) {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  m = _mm_max_ss(m, _mm_movehdup_ps(m));
  return _mm_cvtss_f32(m);
}

float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

void update(const AttnTile& t, float* s, float* m, float* l, float* out) {
  const int64_t hd = t.head_dim;
  const int64_t nb = (t.n + 7) & ~int64_t{7};  // whole registers; the padding's weight is 0
  for (int64_t g = 0; g < t.n_q; ++g) {
    float* sg = s + g * kAttnTile;
    for (int64_t j = t.n; j < nb; ++j) sg[j] = -__builtin_inff();
    __m256 mx = _mm256_set1_ps(m[g]);
    for (int64_t j = 0; j < nb; j += 8) mx = _mm256_max_ps(mx, _mm256_loadu_ps(sg + j));
    const float m_new = hmax(mx);
    const float corr = exp1(m[g] - m_new);  // 0 on the first tile (m = -inf)
    const __m256 mv = _mm256_set1_ps(m_new);
    __m256 sum = _mm256_setzero_ps();
    for (int64_t j = 0; j < nb; j += 8) {
      const __m256 p = exp8(_mm256_sub_ps(_mm256_loadu_ps(sg + j), mv));
      _mm256_storeu_ps(sg + j, p);
      sum = _mm256_add_ps(sum, p);
    }
    l[g] = l[g] * corr + hsum(sum);
    m[g] = m_new;
    if (corr != 1.0f) {
      const __m256 cv = _mm256_set1_ps(corr);
      float* o = out + g * hd;
      for (int64_t d = 0; d < hd; d += 8) {
        const int64_t cnt = hd - d < 8 ? hd - d : 8;
        store_floats(o + d, _mm256_mul_ps(load_floats(o + d, cnt), cv), cnt);
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

}  // namespace minerva::avx2

#else  // not built for x86 with AVX2: no variants, callers keep the scalar kernels

namespace minerva::avx2 {
AttnKernels attn_kernels() { return AttnKernels{}; }
}  // namespace minerva::avx2

#endif
