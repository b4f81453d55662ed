// Scalar reference for the integer dot products (see qdot.h). Each weight block is decoded
// to its integer codes and integer scales; the dot is exact in int32 per block and scaled
// once in float, so every SIMD variant must agree up to float summation order.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/fp16.h"
#include "kernels/qdot.h"
#include "kernels/quant_blocks.h"

namespace minerva::scalar {

namespace {
using namespace quant;

// A 32-value block as value = d * q + m (m = 0 for the symmetric types).
// Codes and scales all fit in 8 bits.
struct LegacyCodes {
  float d = 0, m = 0;
  int8_t q[kQK] = {};
};

// A 256-value block as value = d * sc[g] * q - dmin * mn[g] for the 16 groups g of 16 values.
struct KCodes {
  float d = 0, dmin = 0;
  int8_t sc[16] = {}, mn[16] = {};
  int8_t q[kQKK] = {};
};

uint32_t load_u32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

void codes(const BlockQ8_0& b, LegacyCodes& c) {
  c.d = fp16_to_fp32(b.d);
  for (int i = 0; i < kQK; ++i) c.q[i] = b.qs[i];
}
void codes(const BlockQ4_0& b, LegacyCodes& c) {
  c.d = fp16_to_fp32(b.d);
  for (int j = 0; j < 16; ++j) {
    c.q[j] = (b.qs[j] & 0xF) - 8;
    c.q[j + 16] = (b.qs[j] >> 4) - 8;
  }
}
void codes(const BlockQ4_1& b, LegacyCodes& c) {
  c.d = fp16_to_fp32(b.d);
  c.m = fp16_to_fp32(b.m);
  for (int j = 0; j < 16; ++j) {
    c.q[j] = b.qs[j] & 0xF;
    c.q[j + 16] = b.qs[j] >> 4;
  }
}
template <typename Block>
void q5_codes(const Block& b, LegacyCodes& c, int offset) {
  const uint32_t h = load_u32(b.qh);
  for (int j = 0; j < 16; ++j) {
    c.q[j] = ((b.qs[j] & 0xF) | static_cast<int>(((h >> j) & 1u) << 4)) - offset;
    c.q[j + 16] = ((b.qs[j] >> 4) | static_cast<int>(((h >> (j + 16)) & 1u) << 4)) - offset;
  }
}
void codes(const BlockQ5_0& b, LegacyCodes& c) {
  c.d = fp16_to_fp32(b.d);
  q5_codes(b, c, 16);
}
void codes(const BlockQ5_1& b, LegacyCodes& c) {
  c.d = fp16_to_fp32(b.d);
  c.m = fp16_to_fp32(b.m);
  q5_codes(b, c, 0);
}

void codes(const BlockQ2_K& b, KCodes& c) {
  c.d = fp16_to_fp32(b.d);
  c.dmin = fp16_to_fp32(b.dmin);
  for (int g = 0; g < 16; ++g) {
    c.sc[g] = b.scales[g] & 0xF;
    c.mn[g] = b.scales[g] >> 4;
  }
  // Value 128h + 32s + l is bit pair s of qs[32h + l]; group = (128h + 32s + l) / 16.
  for (int h = 0; h < 2; ++h)
    for (int s = 0; s < 4; ++s)
      for (int l = 0; l < 32; ++l) c.q[128 * h + 32 * s + l] = (b.qs[32 * h + l] >> (2 * s)) & 3;
}
void codes(const BlockQ3_K& b, KCodes& c) {
  c.d = fp16_to_fp32(b.d);
  for (int g = 0; g < 16; ++g) c.sc[g] = unpack_scale_k3(g, b.scales) - 32;
  for (int h = 0; h < 2; ++h)
    for (int s = 0; s < 4; ++s)
      for (int l = 0; l < 32; ++l) {
        const int lo = (b.qs[32 * h + l] >> (2 * s)) & 3;
        const bool hi = (b.hmask[l] >> (4 * h + s)) & 1;
        c.q[128 * h + 32 * s + l] = lo - (hi ? 0 : 4);
      }
}
template <typename Block>
void k4_scales(const Block& b, KCodes& c) {
  c.d = fp16_to_fp32(b.d);
  c.dmin = fp16_to_fp32(b.dmin);
  for (int g = 0; g < 8; ++g) {
    uint8_t sc, mn;
    unpack_scale_min_k4(g, b.scales, &sc, &mn);  // 6 bits each
    c.sc[2 * g] = c.sc[2 * g + 1] = static_cast<int8_t>(sc);
    c.mn[2 * g] = c.mn[2 * g + 1] = static_cast<int8_t>(mn);
  }
}
void codes(const BlockQ4_K& b, KCodes& c) {
  k4_scales(b, c);
  for (int g = 0; g < 8; g += 2)
    for (int l = 0; l < 32; ++l) {
      c.q[32 * g + l] = b.qs[16 * g + l] & 0xF;
      c.q[32 * g + 32 + l] = b.qs[16 * g + l] >> 4;
    }
}
void codes(const BlockQ5_K& b, KCodes& c) {
  k4_scales(b, c);
  for (int g = 0; g < 8; g += 2)
    for (int l = 0; l < 32; ++l) {
      c.q[32 * g + l] = (b.qs[16 * g + l] & 0xF) | (((b.qh[l] >> g) & 1) << 4);
      c.q[32 * g + 32 + l] = (b.qs[16 * g + l] >> 4) | (((b.qh[l] >> (g + 1)) & 1) << 4);
    }
}
void codes(const BlockQ6_K& b, KCodes& c) {
  c.d = fp16_to_fp32(b.d);
  for (int g = 0; g < 16; ++g) c.sc[g] = b.scales[g];
  for (int h = 0; h < 2; ++h) {
    const uint8_t* ql = b.ql + 64 * h;
    const uint8_t* qh = b.qh + 32 * h;
    int8_t* q = c.q + 128 * h;
    for (int l = 0; l < 32; ++l) {
      q[l] = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
      q[l + 32] = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
      q[l + 64] = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
      q[l + 96] = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
    }
  }
}

template <typename Block>
void qdot_legacy(int64_t n, const uint8_t* w, const uint8_t* act, size_t act_stride, int n_act, float* out) {
  const auto* b = reinterpret_cast<const Block*>(w);
  LegacyCodes c;
  for (int j = 0; j < n_act; ++j) {
    const auto* a = reinterpret_cast<const BlockQ8A*>(act + static_cast<size_t>(j) * act_stride);
    float s = 0;
    for (int64_t i = 0; i < n / kQK; ++i) {
      codes(b[i], c);
      int32_t isum = 0;
      for (int l = 0; l < kQK; ++l) isum += c.q[l] * a[i].qs[l];
      s += c.d * a[i].d * static_cast<float>(isum) + c.m * a[i].d * static_cast<float>(a[i].sum);
    }
    out[j] = s;
  }
}

template <typename Block>
void qdot_k(int64_t n, const uint8_t* w, const uint8_t* act, size_t act_stride, int n_act, float* out) {
  const auto* b = reinterpret_cast<const Block*>(w);
  KCodes c;
  for (int j = 0; j < n_act; ++j) {
    const auto* a = reinterpret_cast<const BlockQ8_K*>(act + static_cast<size_t>(j) * act_stride);
    float s = 0;
    for (int64_t i = 0; i < n / kQKK; ++i) {
      codes(b[i], c);
      int32_t isum = 0, msum = 0;
      for (int g = 0; g < 16; ++g) {
        int32_t gsum = 0;
        for (int l = 16 * g; l < 16 * g + 16; ++l) gsum += c.q[l] * a[i].qs[l];
        isum += c.sc[g] * gsum;
        msum += c.mn[g] * a[i].bsums[g];
      }
      s += c.d * a[i].d * static_cast<float>(isum) - c.dmin * a[i].d * static_cast<float>(msum);
    }
    out[j] = s;
  }
}

// Round to nearest (ties to even) for |v| <= 2^22 without a libm call: adding 1.5 * 2^23 leaves
// the integer in the low mantissa bits. Activations are scaled into [-127, 127] first.
int8_t round_i8(float v) {
  const float r = (v + 12582912.0f) - 12582912.0f;
  // fmax/fmin also map a NaN (from a NaN activation) to a defined value before the cast.
  return static_cast<int8_t>(std::fmin(std::fmax(r, -127.0f), 127.0f));
}

}  // namespace

void quantize_act_q8a(const float* x, uint8_t* dst, int64_t n) {
  auto* y = reinterpret_cast<BlockQ8A*>(dst);
  for (int64_t i = 0; i < n / kQK; ++i, x += kQK) {
    float amax = 0;
    for (int l = 0; l < kQK; ++l) amax = std::max(amax, std::abs(x[l]));
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    // ggml keeps this scale as f16 (closest agreement with llama.cpp); where that would
    // overflow (|x| > 8e6) the float is kept instead of ggml's inf.
    y[i].d = d < 65504.0f ? fp16_to_fp32(fp32_to_fp16(d)) : d;
    int32_t sum = 0;
    for (int l = 0; l < kQK; ++l) {
      const int8_t q = round_i8(x[l] * id);
      y[i].qs[l] = q;
      sum += q;
    }
    y[i].sum = sum;
  }
}

void quantize_act_q8a4(const float* x, uint8_t* dst, int64_t n, int offset_shift) {
  auto* y = reinterpret_cast<BlockQ8A4*>(dst);
  for (int64_t g = 0; g < n / kQ8A4Elems; ++g, x += kQ8A4Elems) {
    BlockQ8A blocks[4];
    quantize_act_q8a(x, reinterpret_cast<uint8_t*>(blocks), kQ8A4Elems);
    BlockQ8A4& out = y[g];
    for (int b = 0; b < 4; ++b) {
      std::memcpy(out.lo + 16 * b, blocks[b].qs, 16);
      std::memcpy(out.hi + 16 * b, blocks[b].qs + 16, 16);
      for (int q = 0; q < 4; ++q) {
        int32_t sum = 0;
        for (int l = 0; l < 4; ++l) sum += blocks[b].qs[4 * q + l] + blocks[b].qs[16 + 4 * q + l];
        out.corr[4 * b + q] = -sum * (1 << offset_shift);
        out.d[4 * b + q] = blocks[b].d;
      }
    }
  }
}

void quantize_act_q8a4_off8(const float* x, uint8_t* dst, int64_t n) { quantize_act_q8a4(x, dst, n, 3); }
void quantize_act_q8a4_off16(const float* x, uint8_t* dst, int64_t n) { quantize_act_q8a4(x, dst, n, 4); }
void quantize_act_q8a4_off128(const float* x, uint8_t* dst, int64_t n) { quantize_act_q8a4(x, dst, n, 7); }

void quantize_act_q8k(const float* x, uint8_t* dst, int64_t n) {
  auto* y = reinterpret_cast<BlockQ8_K*>(dst);
  for (int64_t i = 0; i < n / kQKK; ++i, x += kQKK) {
    float amax = 0, max = 0;
    for (int l = 0; l < kQKK; ++l) {
      if (std::abs(x[l]) > amax) {
        amax = std::abs(x[l]);
        max = x[l];
      }
    }
    std::memset(&y[i], 0, sizeof(y[i]));
    if (amax == 0.0f) continue;
    // The value of largest magnitude maps to -127 exactly, as in ggml (sign folded into iscale).
    const float iscale = -127.0f / max;
    for (int l = 0; l < kQKK; ++l) {
      y[i].qs[l] = round_i8(iscale * x[l]);
    }
    for (int g = 0; g < 16; ++g) {
      int sum = 0;
      for (int l = 0; l < 16; ++l) sum += y[i].qs[16 * g + l];
      y[i].bsums[g] = static_cast<int16_t>(sum);
    }
    y[i].d = 1.0f / iscale;
  }
}

void q8k_gemv_layout(const BlockQ8_K& in, BlockQ8_KG& out) {
  static constexpr int kOrder[8] = {0, 2, 1, 3, 4, 6, 5, 7};
  out.d = in.d;
  for (int k = 0; k < 8; ++k) std::memcpy(out.qs + 32 * k, in.qs + 32 * kOrder[k], 32);
  for (int g = 0; g < 8; ++g) out.gsums[g] = static_cast<int16_t>(in.bsums[2 * g] + in.bsums[2 * g + 1]);
}

void quantize_act_q8kg(const float* x, uint8_t* dst, int64_t n) {
  auto* y = reinterpret_cast<BlockQ8_KG*>(dst);
  for (int64_t i = 0; i < n / kQKK; ++i) {
    BlockQ8_K block;
    quantize_act_q8k(x + i * kQKK, reinterpret_cast<uint8_t*>(&block), kQKK);
    q8k_gemv_layout(block, y[i]);
  }
}

// clang-format off
void qdot_q8_0(int64_t n, const uint8_t* w, const uint8_t* a, size_t s, int na, float* o) { qdot_legacy<BlockQ8_0>(n, w, a, s, na, o); }
void qdot_q4_0(int64_t n, const uint8_t* w, const uint8_t* a, size_t s, int na, float* o) { qdot_legacy<BlockQ4_0>(n, w, a, s, na, o); }
void qdot_q4_1(int64_t n, const uint8_t* w, const uint8_t* a, size_t s, int na, float* o) { qdot_legacy<BlockQ4_1>(n, w, a, s, na, o); }
void qdot_q5_0(int64_t n, const uint8_t* w, const uint8_t* a, size_t s, int na, float* o) { qdot_legacy<BlockQ5_0>(n, w, a, s, na, o); }
void qdot_q5_1(int64_t n, const uint8_t* w, const uint8_t* a, size_t s, int na, float* o) { qdot_legacy<BlockQ5_1>(n, w, a, s, na, o); }
void qdot_q2_k(int64_t n, const uint8_t* w, const uint8_t* a, size_t s, int na, float* o) { qdot_k<BlockQ2_K>(n, w, a, s, na, o); }
void qdot_q3_k(int64_t n, const uint8_t* w, const uint8_t* a, size_t s, int na, float* o) { qdot_k<BlockQ3_K>(n, w, a, s, na, o); }
void qdot_q4_k(int64_t n, const uint8_t* w, const uint8_t* a, size_t s, int na, float* o) { qdot_k<BlockQ4_K>(n, w, a, s, na, o); }
void qdot_q5_k(int64_t n, const uint8_t* w, const uint8_t* a, size_t s, int na, float* o) { qdot_k<BlockQ5_K>(n, w, a, s, na, o); }
void qdot_q6_k(int64_t n, const uint8_t* w, const uint8_t* a, size_t s, int na, float* o) { qdot_k<BlockQ6_K>(n, w, a, s, na, o); }
// clang-format on

}  // namespace minerva::scalar
