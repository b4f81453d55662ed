// Scalar reference kernels for ggml's 256-value K-quant super-blocks: Q2_K .. Q6_K.
#include "kernels/fp16.h"
#include "kernels/quant_blocks.h"
#include "kernels/quant_row.h"
#include "kernels/quant_scalar.h"

namespace minerva::scalar {

namespace {
using namespace quant;

void decode_q2_k(const BlockQ2_K& b, float* y) {
  const float d = fp16_to_fp32(b.d);
  const float dmin = fp16_to_fp32(b.dmin);
  for (int half = 0; half < 2; ++half) {
    const uint8_t* q = b.qs + 32 * half;
    for (int s = 0; s < 4; ++s) {    // bit pair s: values 32 * s .. 32 * s + 31 of this half
      for (int g = 0; g < 2; ++g) {  // two groups of 16, each with its own scale and min
        const uint8_t sc = b.scales[8 * half + 2 * s + g];
        const float dl = d * static_cast<float>(sc & 0xF);
        const float ml = dmin * static_cast<float>(sc >> 4);
        for (int l = 0; l < 16; ++l) {
          *y++ = dl * static_cast<float>((q[16 * g + l] >> (2 * s)) & 3) - ml;
        }
      }
    }
  }
}

void decode_q3_k(const BlockQ3_K& b, float* y) {
  const float d = fp16_to_fp32(b.d);
  for (int half = 0; half < 2; ++half) {
    const uint8_t* q = b.qs + 32 * half;
    for (int s = 0; s < 4; ++s) {
      const uint8_t hbit = static_cast<uint8_t>(1u << (4 * half + s));  // hmask bit of this 32-value run
      for (int g = 0; g < 2; ++g) {
        const float dl = d * static_cast<float>(unpack_scale_k3(8 * half + 2 * s + g, b.scales) - 32);
        for (int l = 16 * g; l < 16 * g + 16; ++l) {
          const int lo = (q[l] >> (2 * s)) & 3;
          *y++ = dl * static_cast<float>(lo - ((b.hmask[l] & hbit) ? 0 : 4));
        }
      }
    }
  }
}

void decode_q4_k(const BlockQ4_K& b, float* y) {
  const float d = fp16_to_fp32(b.d);
  const float dmin = fp16_to_fp32(b.dmin);
  for (int g = 0; g < 8; g += 2) {  // 32 bytes of qs hold groups g (low nibbles) and g + 1 (high)
    const uint8_t* q = b.qs + 16 * g;
    uint8_t sc0, mn0, sc1, mn1;
    unpack_scale_min_k4(g, b.scales, &sc0, &mn0);
    unpack_scale_min_k4(g + 1, b.scales, &sc1, &mn1);
    const float d0 = d * sc0, m0 = dmin * mn0, d1 = d * sc1, m1 = dmin * mn1;
    for (int l = 0; l < 32; ++l) y[l] = d0 * static_cast<float>(q[l] & 0xF) - m0;
    for (int l = 0; l < 32; ++l) y[32 + l] = d1 * static_cast<float>(q[l] >> 4) - m1;
    y += 64;
  }
}

void decode_q5_k(const BlockQ5_K& b, float* y) {
  const float d = fp16_to_fp32(b.d);
  const float dmin = fp16_to_fp32(b.dmin);
  for (int g = 0; g < 8; g += 2) {
    const uint8_t* q = b.qs + 16 * g;
    uint8_t sc0, mn0, sc1, mn1;
    unpack_scale_min_k4(g, b.scales, &sc0, &mn0);
    unpack_scale_min_k4(g + 1, b.scales, &sc1, &mn1);
    const float d0 = d * sc0, m0 = dmin * mn0, d1 = d * sc1, m1 = dmin * mn1;
    for (int l = 0; l < 32; ++l) {
      const int h = (b.qh[l] >> g) & 1;
      y[l] = d0 * static_cast<float>((q[l] & 0xF) | (h << 4)) - m0;
    }
    for (int l = 0; l < 32; ++l) {
      const int h = (b.qh[l] >> (g + 1)) & 1;
      y[32 + l] = d1 * static_cast<float>((q[l] >> 4) | (h << 4)) - m1;
    }
    y += 64;
  }
}

void decode_q6_k(const BlockQ6_K& b, float* y) {
  const float d = fp16_to_fp32(b.d);
  for (int half = 0; half < 2; ++half) {
    const uint8_t* ql = b.ql + 64 * half;
    const uint8_t* qh = b.qh + 32 * half;
    const int8_t* sc = b.scales + 8 * half;
    for (int l = 0; l < 32; ++l) {
      const int is = l / 16;
      const int q0 = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
      const int q1 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
      const int q2 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
      const int q3 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
      y[l] = d * static_cast<float>(sc[is] * q0);
      y[l + 32] = d * static_cast<float>(sc[is + 2] * q1);
      y[l + 64] = d * static_cast<float>(sc[is + 4] * q2);
      y[l + 96] = d * static_cast<float>(sc[is + 6] * q3);
    }
    y += 128;
  }
}
}  // namespace

// clang-format off
void dequantize_q2_k(const uint8_t* s, float* d, int64_t n) { detail::dequantize_blocks<BlockQ2_K, kQKK>(s, d, n, decode_q2_k); }
void dequantize_q3_k(const uint8_t* s, float* d, int64_t n) { detail::dequantize_blocks<BlockQ3_K, kQKK>(s, d, n, decode_q3_k); }
void dequantize_q4_k(const uint8_t* s, float* d, int64_t n) { detail::dequantize_blocks<BlockQ4_K, kQKK>(s, d, n, decode_q4_k); }
void dequantize_q5_k(const uint8_t* s, float* d, int64_t n) { detail::dequantize_blocks<BlockQ5_K, kQKK>(s, d, n, decode_q5_k); }
void dequantize_q6_k(const uint8_t* s, float* d, int64_t n) { detail::dequantize_blocks<BlockQ6_K, kQKK>(s, d, n, decode_q6_k); }

float dot_q2_k(const uint8_t* r, const float* x, int64_t n) { return detail::dot_blocks<BlockQ2_K, kQKK>(r, x, n, decode_q2_k); }
float dot_q3_k(const uint8_t* r, const float* x, int64_t n) { return detail::dot_blocks<BlockQ3_K, kQKK>(r, x, n, decode_q3_k); }
float dot_q4_k(const uint8_t* r, const float* x, int64_t n) { return detail::dot_blocks<BlockQ4_K, kQKK>(r, x, n, decode_q4_k); }
float dot_q5_k(const uint8_t* r, const float* x, int64_t n) { return detail::dot_blocks<BlockQ5_K, kQKK>(r, x, n, decode_q5_k); }
float dot_q6_k(const uint8_t* r, const float* x, int64_t n) { return detail::dot_blocks<BlockQ6_K, kQKK>(r, x, n, decode_q6_k); }
// clang-format on

}  // namespace minerva::scalar
