#include "kernels/quantize.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>

#include "kernels/fp16.h"
#include "kernels/quant_blocks.h"

namespace minerva {

namespace quant {
namespace {

// Round to nearest, ties to even (ggml's nearest_int; valid for |v| < 2^22).
inline int nearest_int(float v) { return static_cast<int>(std::lrintf(v)); }

// Truncation toward zero: the legacy types round with trunc(v + 0.5) (v + 8.5, v + 16.5 for
// the signed ones), which differs from round-to-nearest at ties and must, to match ggml.
inline int trunc_int(float v) { return static_cast<int>(v); }

// The value of largest magnitude in x[0..n), with its sign (the first one on ties).
inline float signed_absmax(const float* x, int n) {
  float amax = 0.0f, max = 0.0f;
  for (int j = 0; j < n; ++j) {
    if (std::fabs(x[j]) > amax) {
      amax = std::fabs(x[j]);
      max = x[j];
    }
  }
  return max;
}

inline void min_max(const float* x, int n, float& mn, float& mx) {
  mn = x[0];
  mx = x[0];
  for (int j = 1; j < n; ++j) {
    mn = std::min(mn, x[j]);
    mx = std::max(mx, x[j]);
  }
}

constexpr float kGroupMaxEps = 1e-15f;

// Scale and min for n values into levels 0..nmax, weighted least squares: a first guess from
// the range, then nstep candidate scales around it, each refined by a closed-form fit of
// (scale, min) to the levels it gives; candidates are compared by weighted squared error, or by
// weighted absolute error with `mad` (Q2_K, whose 4 levels make outliers dominate squares).
// Returns the scale; *neg_min is -min (>= 0). As ggml's make_qkx2_quants.
float fit_scale_min(int n, int nmax, const float* x, const float* w, uint8_t* levels, float* neg_min, float rmin,
                    float rdelta, int nstep, bool mad) {
  float mn = 0.0f, mx = 0.0f;
  min_max(x, n, mn, mx);
  float sum_w = 0.0f, sum_x = 0.0f;
  for (int i = 0; i < n; ++i) {
    sum_w += w[i];
    sum_x += w[i] * x[i];
  }
  mn = std::min(mn, 0.0f);
  if (mx == mn) {
    std::fill(levels, levels + n, uint8_t{0});
    *neg_min = -mn;
    return 0.0f;
  }
  float iscale = static_cast<float>(nmax) / (mx - mn);
  float scale = 1.0f / iscale;
  float best_error = 0.0f;
  for (int i = 0; i < n; ++i) {
    const int l = std::clamp(nearest_int(iscale * (x[i] - mn)), 0, nmax);
    levels[i] = static_cast<uint8_t>(l);
    const float diff = scale * static_cast<float>(l) + mn - x[i];
    best_error += w[i] * (mad ? std::fabs(diff) : diff * diff);
  }
  std::array<uint8_t, kQKK> aux{};
  for (int is = 0; is <= nstep; ++is) {
    iscale = (rmin + rdelta * static_cast<float>(is) + static_cast<float>(nmax)) / (mx - mn);
    float sum_l = 0.0f, sum_l2 = 0.0f, sum_xl = 0.0f;
    for (int i = 0; i < n; ++i) {
      const int l = std::clamp(nearest_int(iscale * (x[i] - mn)), 0, nmax);
      aux[i] = static_cast<uint8_t>(l);
      const float fl = static_cast<float>(l);
      sum_l += w[i] * fl;
      sum_l2 += w[i] * fl * fl;
      sum_xl += w[i] * fl * x[i];
    }
    const float det = sum_w * sum_l2 - sum_l * sum_l;
    if (det > 0.0f) {
      float this_scale = (sum_w * sum_xl - sum_x * sum_l) / det;
      float this_min = (sum_l2 * sum_x - sum_l * sum_xl) / det;
      if (this_min > 0.0f) {
        this_min = 0.0f;
        this_scale = sum_xl / sum_l2;
      }
      float cur_error = 0.0f;
      for (int i = 0; i < n; ++i) {
        const float diff = this_scale * static_cast<float>(aux[i]) + this_min - x[i];
        cur_error += w[i] * (mad ? std::fabs(diff) : diff * diff);
      }
      if (cur_error < best_error) {
        std::copy(aux.begin(), aux.begin() + n, levels);
        best_error = cur_error;
        scale = this_scale;
        mn = this_min;
      }
    }
  }
  *neg_min = -mn;
  return scale;
}

// Symmetric scale for n values into levels -nmax..nmax-1 (stored + nmax), weights x^2, with a
// search over 18 nearby scales. As ggml's make_qx_quants with rmse_type 1.
float fit_scale_symmetric(int n, int nmax, const float* x, uint8_t* levels) {
  const float max = signed_absmax(x, n);
  if (std::fabs(max) < kGroupMaxEps) {
    std::fill(levels, levels + n, uint8_t{0});
    return 0.0f;
  }
  auto level = [&](float iscale, int i) { return std::clamp(nearest_int(iscale * x[i]), -nmax, nmax - 1); };
  float iscale = -static_cast<float>(nmax) / max;
  float sumlx = 0.0f, suml2 = 0.0f;
  for (int i = 0; i < n; ++i) {
    const int l = level(iscale, i);
    levels[i] = static_cast<uint8_t>(l + nmax);
    const float w = x[i] * x[i];
    sumlx += w * x[i] * static_cast<float>(l);
    suml2 += w * static_cast<float>(l) * static_cast<float>(l);
  }
  float scale = suml2 != 0.0f ? sumlx / suml2 : 0.0f;
  float best = scale * sumlx;
  for (int is = -9; is <= 9; ++is) {
    if (is == 0) continue;
    iscale = -(static_cast<float>(nmax) + 0.1f * static_cast<float>(is)) / max;
    sumlx = 0.0f;
    suml2 = 0.0f;
    for (int i = 0; i < n; ++i) {
      const int l = level(iscale, i);
      const float w = x[i] * x[i];
      sumlx += w * x[i] * static_cast<float>(l);
      suml2 += w * static_cast<float>(l) * static_cast<float>(l);
    }
    if (suml2 > 0.0f && sumlx * sumlx > best * suml2) {
      for (int i = 0; i < n; ++i) levels[i] = static_cast<uint8_t>(nmax + level(iscale, i));
      scale = sumlx / suml2;
      best = scale * sumlx;
    }
  }
  return scale;
}

// Symmetric scale for n values into levels -nmax..nmax-1 (returned + nmax; an all-zero group
// gets levels 0 and scale 0): the levels of the absmax scale, then up to 5 passes that move
// single values to the level the others' least-squares scale suggests while that lowers the
// x^2-weighted error. As ggml's make_q3_quants with rmse on.
float fit_scale_symmetric_iterative(int n, int nmax, const float* x, int8_t* levels) {
  const float max = signed_absmax(x, n);
  if (std::fabs(max) < kGroupMaxEps) {
    std::fill(levels, levels + n, int8_t{0});
    return 0.0f;
  }
  const float iscale = -static_cast<float>(nmax) / max;
  float sumlx = 0.0f, suml2 = 0.0f;
  for (int i = 0; i < n; ++i) {
    const int l = std::clamp(nearest_int(iscale * x[i]), -nmax, nmax - 1);
    levels[i] = static_cast<int8_t>(l);
    const float w = x[i] * x[i];
    sumlx += w * x[i] * static_cast<float>(l);
    suml2 += w * static_cast<float>(l) * static_cast<float>(l);
  }
  for (int pass = 0; pass < 5; ++pass) {
    int changed = 0;
    for (int i = 0; i < n; ++i) {
      const float w = x[i] * x[i];
      const auto li = static_cast<float>(levels[i]);
      float slx = sumlx - w * x[i] * li;
      if (slx <= 0.0f) continue;
      float sl2 = suml2 - w * li * li;
      const int nl = std::clamp(nearest_int(x[i] * sl2 / slx), -nmax, nmax - 1);
      if (nl == levels[i]) continue;
      const auto fl = static_cast<float>(nl);
      slx += w * x[i] * fl;
      sl2 += w * fl * fl;
      // Keep the move when it raises sumlx^2 / suml2 (the error is sum w x^2 minus that).
      if (sl2 > 0.0f && slx * slx * suml2 > sumlx * sumlx * sl2) {
        levels[i] = static_cast<int8_t>(nl);
        sumlx = slx;
        suml2 = sl2;
        ++changed;
      }
    }
    if (changed == 0) break;
  }
  for (int i = 0; i < n; ++i) levels[i] = static_cast<int8_t>(levels[i] + nmax);
  return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
}

// Packs 256 2-bit levels the way Q2_K and Q3_K store their low bits: per 128-value half, bit
// pair s of byte l is value 32 * s + l.
void pack_2bit(const uint8_t* L, uint8_t* qs) {
  for (int j = 0; j < kQKK; j += 128) {
    for (int l = 0; l < 32; ++l) {
      qs[j / 4 + l] =
          static_cast<uint8_t>(L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4) | (L[j + l + 96] << 6));
    }
  }
}

// Sub-block scales and mins of a Q4_K / Q5_K super-block (8 groups of 32 values, levels
// 0..nmax): fits each group, quantizes scales and mins to 6 bits, then re-derives the levels
// from the rounded scales. Writes d, dmin and the packed scales; returns the levels in L.
void quantize_k_scale_min(const float* x, int nmax, float rmin, float rdelta, int nstep, uint16_t* d_out,
                          uint16_t* dmin_out, uint8_t* packed, uint8_t* L) {
  std::array<float, 8> scales{}, mins{};
  std::array<float, 32> weights{};
  float max_scale = 0.0f, max_min = 0.0f;
  for (int j = 0; j < 8; ++j) {
    const float* g = x + 32 * j;
    float sum_x2 = 0.0f;
    for (int l = 0; l < 32; ++l) sum_x2 += g[l] * g[l];
    const float av_x = std::sqrt(sum_x2 / 32.0f);
    for (int l = 0; l < 32; ++l) weights[l] = av_x + std::fabs(g[l]);
    scales[j] = fit_scale_min(32, nmax, g, weights.data(), L + 32 * j, &mins[j], rmin, rdelta, nstep, false);
    max_scale = std::max(max_scale, scales[j]);
    max_min = std::max(max_min, mins[j]);
  }
  const float inv_scale = max_scale > 0.0f ? 63.0f / max_scale : 0.0f;
  const float inv_min = max_min > 0.0f ? 63.0f / max_min : 0.0f;
  std::memset(packed, 0, 12);
  for (int j = 0; j < 8; ++j) {
    const auto ls = static_cast<uint8_t>(std::min(63, nearest_int(inv_scale * scales[j])));
    const auto lm = static_cast<uint8_t>(std::min(63, nearest_int(inv_min * mins[j])));
    if (j < 4) {
      packed[j] = ls;
      packed[j + 4] = lm;
    } else {
      packed[j + 4] = static_cast<uint8_t>((ls & 0xF) | ((lm & 0xF) << 4));
      packed[j - 4] |= static_cast<uint8_t>((ls >> 4) << 6);
      packed[j] |= static_cast<uint8_t>((lm >> 4) << 6);
    }
  }
  *d_out = fp32_to_fp16(max_scale / 63.0f);
  *dmin_out = fp32_to_fp16(max_min / 63.0f);
  const float d = fp16_to_fp32(*d_out);
  const float dmin = fp16_to_fp32(*dmin_out);
  for (int j = 0; j < 8; ++j) {
    uint8_t sc = 0, m = 0;
    unpack_scale_min_k4(j, packed, &sc, &m);
    const float dj = d * static_cast<float>(sc);
    if (dj == 0.0f) continue;
    const float dm = dmin * static_cast<float>(m);
    for (int ii = 0; ii < 32; ++ii) {
      L[32 * j + ii] = static_cast<uint8_t>(std::clamp(nearest_int((x[32 * j + ii] + dm) / dj), 0, nmax));
    }
  }
}

}  // namespace

void quantize_row_q8_0(const float* x, uint8_t* dst, int64_t n) {
  for (int64_t b = 0; b < n / kQK; ++b, x += kQK) {
    BlockQ8_0 blk{};
    float amax = 0.0f;
    for (int j = 0; j < kQK; ++j) amax = std::max(amax, std::fabs(x[j]));
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    blk.d = fp32_to_fp16(d);
    for (int j = 0; j < kQK; ++j) blk.qs[j] = static_cast<int8_t>(std::round(x[j] * id));
    std::memcpy(dst + b * sizeof blk, &blk, sizeof blk);
  }
}

void quantize_row_q4_0(const float* x, uint8_t* dst, int64_t n) {
  for (int64_t b = 0; b < n / kQK; ++b, x += kQK) {
    BlockQ4_0 blk{};
    const float d = signed_absmax(x, kQK) / -8.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    blk.d = fp32_to_fp16(d);
    for (int j = 0; j < kQK / 2; ++j) {
      const int q0 = std::min(15, trunc_int(x[j] * id + 8.5f));
      const int q1 = std::min(15, trunc_int(x[j + kQK / 2] * id + 8.5f));
      blk.qs[j] = static_cast<uint8_t>(q0 | (q1 << 4));
    }
    std::memcpy(dst + b * sizeof blk, &blk, sizeof blk);
  }
}

void quantize_row_q4_1(const float* x, uint8_t* dst, int64_t n) {
  for (int64_t b = 0; b < n / kQK; ++b, x += kQK) {
    BlockQ4_1 blk{};
    float mn = 0.0f, mx = 0.0f;
    min_max(x, kQK, mn, mx);
    const float d = (mx - mn) / 15.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    blk.d = fp32_to_fp16(d);
    blk.m = fp32_to_fp16(mn);
    for (int j = 0; j < kQK / 2; ++j) {
      const int q0 = std::min(15, trunc_int((x[j] - mn) * id + 0.5f));
      const int q1 = std::min(15, trunc_int((x[j + kQK / 2] - mn) * id + 0.5f));
      blk.qs[j] = static_cast<uint8_t>(q0 | (q1 << 4));
    }
    std::memcpy(dst + b * sizeof blk, &blk, sizeof blk);
  }
}

void quantize_row_q5_0(const float* x, uint8_t* dst, int64_t n) {
  for (int64_t b = 0; b < n / kQK; ++b, x += kQK) {
    BlockQ5_0 blk{};
    const float d = signed_absmax(x, kQK) / -16.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    blk.d = fp32_to_fp16(d);
    uint32_t qh = 0;
    for (int j = 0; j < kQK / 2; ++j) {
      const int q0 = std::min(31, trunc_int(x[j] * id + 16.5f));
      const int q1 = std::min(31, trunc_int(x[j + kQK / 2] * id + 16.5f));
      blk.qs[j] = static_cast<uint8_t>((q0 & 0xF) | ((q1 & 0xF) << 4));
      qh |= static_cast<uint32_t>((q0 >> 4) & 1) << j;
      qh |= static_cast<uint32_t>((q1 >> 4) & 1) << (j + kQK / 2);
    }
    std::memcpy(blk.qh, &qh, sizeof qh);
    std::memcpy(dst + b * sizeof blk, &blk, sizeof blk);
  }
}

void quantize_row_q5_1(const float* x, uint8_t* dst, int64_t n) {
  for (int64_t b = 0; b < n / kQK; ++b, x += kQK) {
    BlockQ5_1 blk{};
    float mn = 0.0f, mx = 0.0f;
    min_max(x, kQK, mn, mx);
    const float d = (mx - mn) / 31.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    blk.d = fp32_to_fp16(d);
    blk.m = fp32_to_fp16(mn);
    uint32_t qh = 0;
    for (int j = 0; j < kQK / 2; ++j) {
      const int q0 = std::min(31, trunc_int((x[j] - mn) * id + 0.5f));
      const int q1 = std::min(31, trunc_int((x[j + kQK / 2] - mn) * id + 0.5f));
      blk.qs[j] = static_cast<uint8_t>((q0 & 0xF) | ((q1 & 0xF) << 4));
      qh |= static_cast<uint32_t>((q0 >> 4) & 1) << j;
      qh |= static_cast<uint32_t>((q1 >> 4) & 1) << (j + kQK / 2);
    }
    std::memcpy(blk.qh, &qh, sizeof qh);
    std::memcpy(dst + b * sizeof blk, &blk, sizeof blk);
  }
}

void quantize_row_q2_k(const float* x, uint8_t* dst, int64_t n) {
  constexpr float kScaleLevels = 15.0f;  // 4-bit scales and mins
  for (int64_t b = 0; b < n / kQKK; ++b, x += kQKK) {
    BlockQ2_K blk{};
    std::array<uint8_t, kQKK> L{};
    std::array<float, 16> scales{}, mins{}, weights{};
    float max_scale = 0.0f, max_min = 0.0f;
    for (int j = 0; j < 16; ++j) {
      const float* g = x + 16 * j;
      for (int l = 0; l < 16; ++l) weights[l] = std::fabs(g[l]);
      scales[j] = fit_scale_min(16, 3, g, weights.data(), L.data() + 16 * j, &mins[j], -0.5f, 0.1f, 15, true);
      max_scale = std::max(max_scale, scales[j]);
      max_min = std::max(max_min, mins[j]);
    }
    // The byte arithmetic wraps as ggml's does (a negative group scale, which the fit does not
    // produce on real data, would spill into the min nibble there too).
    if (max_scale > 0.0f) {
      const float iscale = kScaleLevels / max_scale;
      for (int j = 0; j < 16; ++j) blk.scales[j] = static_cast<uint8_t>(nearest_int(iscale * scales[j]));
      blk.d = fp32_to_fp16(max_scale / kScaleLevels);
    }
    if (max_min > 0.0f) {
      const float iscale = kScaleLevels / max_min;
      for (int j = 0; j < 16; ++j) {
        blk.scales[j] = static_cast<uint8_t>(blk.scales[j] | (nearest_int(iscale * mins[j]) << 4));
      }
      blk.dmin = fp32_to_fp16(max_min / kScaleLevels);
    }
    const float d = fp16_to_fp32(blk.d);
    const float dmin = fp16_to_fp32(blk.dmin);
    for (int j = 0; j < 16; ++j) {
      const float dj = d * static_cast<float>(blk.scales[j] & 0xF);
      if (dj == 0.0f) continue;
      const float dm = dmin * static_cast<float>(blk.scales[j] >> 4);
      for (int ii = 0; ii < 16; ++ii) {
        L[16 * j + ii] = static_cast<uint8_t>(std::clamp(nearest_int((x[16 * j + ii] + dm) / dj), 0, 3));
      }
    }
    pack_2bit(L.data(), blk.qs);
    std::memcpy(dst + b * sizeof blk, &blk, sizeof blk);
  }
}

void quantize_row_q3_k(const float* x, uint8_t* dst, int64_t n) {
  for (int64_t b = 0; b < n / kQKK; ++b, x += kQKK) {
    BlockQ3_K blk{};
    std::array<int8_t, kQKK> L{};
    std::array<float, 16> scales{};
    for (int j = 0; j < 16; ++j) scales[j] = fit_scale_symmetric_iterative(16, 4, x + 16 * j, L.data() + 16 * j);
    const float max_scale = signed_absmax(scales.data(), 16);
    if (max_scale != 0.0f) {
      // 6-bit scales stored + 32; the largest-magnitude one maps to -32, so d takes its sign.
      const float iscale = -32.0f / max_scale;
      for (int j = 0; j < 16; ++j) {
        const int l = std::clamp(static_cast<int>(static_cast<int8_t>(nearest_int(iscale * scales[j]))), -32, 31) + 32;
        if (j < 8) {
          blk.scales[j] = static_cast<uint8_t>(l & 0xF);
        } else {
          blk.scales[j - 8] = static_cast<uint8_t>(blk.scales[j - 8] | ((l & 0xF) << 4));
        }
        blk.scales[8 + j % 4] = static_cast<uint8_t>(blk.scales[8 + j % 4] | ((l >> 4) << (2 * (j / 4))));
      }
      blk.d = fp32_to_fp16(1.0f / iscale);
    }
    const float d = fp16_to_fp32(blk.d);
    for (int j = 0; j < 16; ++j) {
      const float dj = d * static_cast<float>(unpack_scale_k3(j, blk.scales) - 32);
      if (dj == 0.0f) continue;  // keeps the fit's levels, as ggml does
      for (int ii = 0; ii < 16; ++ii) {
        L[16 * j + ii] = static_cast<int8_t>(std::clamp(nearest_int(x[16 * j + ii] / dj), -4, 3) + 4);
      }
    }
    // Levels 0..7: bit 2 goes to hmask (bit j / 32 of byte j % 32), bits 0-1 to qs.
    std::array<uint8_t, kQKK> low{};
    for (int j = 0; j < kQKK; ++j) {
      int l = static_cast<uint8_t>(L[j]);  // 0..7 here: the fit's levels are stored + 4
      if (l > 3) {
        blk.hmask[j % 32] = static_cast<uint8_t>(blk.hmask[j % 32] | (1u << (j / 32)));
        l -= 4;
      }
      low[j] = static_cast<uint8_t>(l);
    }
    pack_2bit(low.data(), blk.qs);
    std::memcpy(dst + b * sizeof blk, &blk, sizeof blk);
  }
}

void quantize_row_q4_k(const float* x, uint8_t* dst, int64_t n) {
  for (int64_t b = 0; b < n / kQKK; ++b, x += kQKK) {
    BlockQ4_K blk{};
    std::array<uint8_t, kQKK> L{};
    quantize_k_scale_min(x, 15, -1.0f, 0.1f, 20, &blk.d, &blk.dmin, blk.scales, L.data());
    uint8_t* q = blk.qs;
    for (int j = 0; j < kQKK; j += 64, q += 32) {
      for (int l = 0; l < 32; ++l) q[l] = static_cast<uint8_t>(L[j + l] | (L[j + l + 32] << 4));
    }
    std::memcpy(dst + b * sizeof blk, &blk, sizeof blk);
  }
}

void quantize_row_q5_k(const float* x, uint8_t* dst, int64_t n) {
  for (int64_t b = 0; b < n / kQKK; ++b, x += kQKK) {
    BlockQ5_K blk{};
    std::array<uint8_t, kQKK> L{};
    quantize_k_scale_min(x, 31, -0.5f, 0.1f, 15, &blk.d, &blk.dmin, blk.scales, L.data());
    uint8_t* q = blk.qs;
    int m1 = 1, m2 = 2;
    for (int j = 0; j < kQKK; j += 64, q += 32, m1 <<= 2, m2 <<= 2) {
      for (int l = 0; l < 32; ++l) {
        int l1 = L[j + l], l2 = L[j + l + 32];
        if (l1 > 15) {
          l1 -= 16;
          blk.qh[l] = static_cast<uint8_t>(blk.qh[l] | m1);
        }
        if (l2 > 15) {
          l2 -= 16;
          blk.qh[l] = static_cast<uint8_t>(blk.qh[l] | m2);
        }
        q[l] = static_cast<uint8_t>(l1 | (l2 << 4));
      }
    }
    std::memcpy(dst + b * sizeof blk, &blk, sizeof blk);
  }
}

void quantize_row_q6_k(const float* x, uint8_t* dst, int64_t n) {
  for (int64_t b = 0; b < n / kQKK; ++b, x += kQKK) {
    BlockQ6_K blk{};
    std::array<uint8_t, kQKK> L{};
    std::array<float, 16> scales{};
    for (int ib = 0; ib < 16; ++ib) scales[ib] = fit_scale_symmetric(16, 32, x + 16 * ib, L.data() + 16 * ib);
    const float max_scale = signed_absmax(scales.data(), 16);
    if (std::fabs(max_scale) >= kGroupMaxEps) {
      const float iscale = -128.0f / max_scale;
      blk.d = fp32_to_fp16(1.0f / iscale);
      for (int ib = 0; ib < 16; ++ib)
        blk.scales[ib] = static_cast<int8_t>(std::min(127, nearest_int(iscale * scales[ib])));
      const float d = fp16_to_fp32(blk.d);
      for (int j = 0; j < 16; ++j) {
        const float dj = d * static_cast<float>(blk.scales[j]);
        if (dj == 0.0f) continue;
        for (int ii = 0; ii < 16; ++ii) {
          L[16 * j + ii] = static_cast<uint8_t>(std::clamp(nearest_int(x[16 * j + ii] / dj), -32, 31) + 32);
        }
      }
      uint8_t* ql = blk.ql;
      uint8_t* qh = blk.qh;
      for (int j = 0; j < kQKK; j += 128, ql += 64, qh += 32) {
        for (int l = 0; l < 32; ++l) {
          const int a = L[j + l], bb = L[j + l + 32], c = L[j + l + 64], e = L[j + l + 96];
          ql[l] = static_cast<uint8_t>((a & 0xF) | ((c & 0xF) << 4));
          ql[l + 32] = static_cast<uint8_t>((bb & 0xF) | ((e & 0xF) << 4));
          qh[l] = static_cast<uint8_t>((a >> 4) | ((bb >> 4) << 2) | ((c >> 4) << 4) | ((e >> 4) << 6));
        }
      }
    }
    std::memcpy(dst + b * sizeof blk, &blk, sizeof blk);
  }
}

}  // namespace quant

namespace {
constexpr std::array<TensorType, 13> kQuantizeTypes = {
    TensorType::F32,  TensorType::F16,  TensorType::BF16, TensorType::Q4_0, TensorType::Q4_1,
    TensorType::Q5_0, TensorType::Q5_1, TensorType::Q8_0, TensorType::Q2_K, TensorType::Q3_K,
    TensorType::Q4_K, TensorType::Q5_K, TensorType::Q6_K,
};
}  // namespace

bool quantize_supported(TensorType type) {
  return std::find(kQuantizeTypes.begin(), kQuantizeTypes.end(), type) != kQuantizeTypes.end();
}

std::span<const TensorType> quantize_types() { return kQuantizeTypes; }

std::string quantize_type_names() {
  std::string s;
  for (TensorType t : kQuantizeTypes) s += (s.empty() ? "" : ", ") + std::string(tensor_type_name(t));
  return s;
}

uint64_t quantized_row_bytes(TensorType type, int64_t n) {
  const auto info = tensor_type_info(static_cast<uint32_t>(type));
  if (!info) return 0;
  return static_cast<uint64_t>(n) / info->block_elems * info->block_bytes;
}

void quantize_row(TensorType type, const float* x, uint8_t* dst, int64_t n) {
  switch (type) {
    case TensorType::F32:
      std::memcpy(dst, x, static_cast<size_t>(n) * sizeof(float));
      return;
    case TensorType::F16:
      for (int64_t i = 0; i < n; ++i) {
        const uint16_t h = fp32_to_fp16(x[i]);
        std::memcpy(dst + 2 * i, &h, 2);
      }
      return;
    case TensorType::BF16:
      for (int64_t i = 0; i < n; ++i) {
        const uint16_t h = fp32_to_bf16(x[i]);
        std::memcpy(dst + 2 * i, &h, 2);
      }
      return;
    case TensorType::Q4_0:
      return quant::quantize_row_q4_0(x, dst, n);
    case TensorType::Q4_1:
      return quant::quantize_row_q4_1(x, dst, n);
    case TensorType::Q5_0:
      return quant::quantize_row_q5_0(x, dst, n);
    case TensorType::Q5_1:
      return quant::quantize_row_q5_1(x, dst, n);
    case TensorType::Q8_0:
      return quant::quantize_row_q8_0(x, dst, n);
    case TensorType::Q2_K:
      return quant::quantize_row_q2_k(x, dst, n);
    case TensorType::Q3_K:
      return quant::quantize_row_q3_k(x, dst, n);
    case TensorType::Q4_K:
      return quant::quantize_row_q4_k(x, dst, n);
    case TensorType::Q5_K:
      return quant::quantize_row_q5_k(x, dst, n);
    case TensorType::Q6_K:
      return quant::quantize_row_q6_k(x, dst, n);
    default:
      return;
  }
}

}  // namespace minerva
