// Scalar reference kernels for ggml's 32-value block types: Q8_0, Q4_0, Q4_1, Q5_0, Q5_1.
#include <cstring>

#include "kernels/fp16.h"
#include "kernels/quant_blocks.h"
#include "kernels/quant_row.h"
#include "kernels/quant_scalar.h"

namespace minerva::scalar {

namespace {
using namespace quant;

void decode_q8_0(const BlockQ8_0& b, float* y) {
  const float d = fp16_to_fp32(b.d);
  for (int i = 0; i < kQK; ++i) y[i] = d * static_cast<float>(b.qs[i]);
}

void decode_q4_0(const BlockQ4_0& b, float* y) {
  const float d = fp16_to_fp32(b.d);
  for (int j = 0; j < kQK / 2; ++j) {
    y[j] = d * static_cast<float>((b.qs[j] & 0xF) - 8);
    y[j + kQK / 2] = d * static_cast<float>((b.qs[j] >> 4) - 8);
  }
}

void decode_q4_1(const BlockQ4_1& b, float* y) {
  const float d = fp16_to_fp32(b.d);
  const float m = fp16_to_fp32(b.m);
  for (int j = 0; j < kQK / 2; ++j) {
    y[j] = d * static_cast<float>(b.qs[j] & 0xF) + m;
    y[j + kQK / 2] = d * static_cast<float>(b.qs[j] >> 4) + m;
  }
}

// The 32 fifth bits of a Q5 block (bit i belongs to value i).
uint32_t high_bits(const uint8_t* qh) {
  uint32_t h;
  std::memcpy(&h, qh, sizeof(h));  // little-endian, like the file
  return h;
}

// 5-bit value j and j + 16 of a Q5_0/Q5_1 block.
int q5_lo(const uint8_t* qs, uint32_t h, int j) { return (qs[j] & 0xF) | static_cast<int>(((h >> j) & 1u) << 4); }
int q5_hi(const uint8_t* qs, uint32_t h, int j) {
  return (qs[j] >> 4) | static_cast<int>(((h >> (j + kQK / 2)) & 1u) << 4);
}

void decode_q5_0(const BlockQ5_0& b, float* y) {
  const float d = fp16_to_fp32(b.d);
  const uint32_t h = high_bits(b.qh);
  for (int j = 0; j < kQK / 2; ++j) {
    y[j] = d * static_cast<float>(q5_lo(b.qs, h, j) - 16);
    y[j + kQK / 2] = d * static_cast<float>(q5_hi(b.qs, h, j) - 16);
  }
}

void decode_q5_1(const BlockQ5_1& b, float* y) {
  const float d = fp16_to_fp32(b.d);
  const float m = fp16_to_fp32(b.m);
  const uint32_t h = high_bits(b.qh);
  for (int j = 0; j < kQK / 2; ++j) {
    y[j] = d * static_cast<float>(q5_lo(b.qs, h, j)) + m;
    y[j + kQK / 2] = d * static_cast<float>(q5_hi(b.qs, h, j)) + m;
  }
}
}  // namespace

// clang-format off
void dequantize_q8_0(const uint8_t* s, float* d, int64_t n) { detail::dequantize_blocks<BlockQ8_0, kQK>(s, d, n, decode_q8_0); }
void dequantize_q4_0(const uint8_t* s, float* d, int64_t n) { detail::dequantize_blocks<BlockQ4_0, kQK>(s, d, n, decode_q4_0); }
void dequantize_q4_1(const uint8_t* s, float* d, int64_t n) { detail::dequantize_blocks<BlockQ4_1, kQK>(s, d, n, decode_q4_1); }
void dequantize_q5_0(const uint8_t* s, float* d, int64_t n) { detail::dequantize_blocks<BlockQ5_0, kQK>(s, d, n, decode_q5_0); }
void dequantize_q5_1(const uint8_t* s, float* d, int64_t n) { detail::dequantize_blocks<BlockQ5_1, kQK>(s, d, n, decode_q5_1); }

float dot_q8_0(const uint8_t* r, const float* x, int64_t n) { return detail::dot_blocks<BlockQ8_0, kQK>(r, x, n, decode_q8_0); }
float dot_q4_0(const uint8_t* r, const float* x, int64_t n) { return detail::dot_blocks<BlockQ4_0, kQK>(r, x, n, decode_q4_0); }
float dot_q4_1(const uint8_t* r, const float* x, int64_t n) { return detail::dot_blocks<BlockQ4_1, kQK>(r, x, n, decode_q4_1); }
float dot_q5_0(const uint8_t* r, const float* x, int64_t n) { return detail::dot_blocks<BlockQ5_0, kQK>(r, x, n, decode_q5_0); }
float dot_q5_1(const uint8_t* r, const float* x, int64_t n) { return detail::dot_blocks<BlockQ5_1, kQK>(r, x, n, decode_q5_1); }
// clang-format on

}  // namespace minerva::scalar
