#pragma once

#include <cstdint>

namespace minerva::scalar {

// Scalar reference kernels: plain C++, the baseline every SIMD variant is tested against.
float dot_f32(const float* a, const float* b, int64_t n);
float dot_f16(const uint16_t* a, const float* b, int64_t n);
float dot_bf16(const uint16_t* a, const float* b, int64_t n);
void f16_to_f32_row(const uint16_t* src, float* dst, int64_t n);
void bf16_to_f32_row(const uint16_t* src, float* dst, int64_t n);

}  // namespace minerva::scalar
