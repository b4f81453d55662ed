#pragma once

#include <cstdint>

namespace minerva::scalar {

// Scalar reference kernels for ggml's quantized types. `n` is a multiple of the type's block
// size (32 for Q4_0..Q8_0, 256 for the K types). dequantize_*: dst[0..n) = row as floats.
// dot_*: sum_i row[i] * x[i], computed as the dequantized row dotted with x in float, with the
// same summation order as dot_f32 (so dot == dequantize + dot_f32 exactly).
void dequantize_q8_0(const uint8_t* src, float* dst, int64_t n);
void dequantize_q4_0(const uint8_t* src, float* dst, int64_t n);
void dequantize_q4_1(const uint8_t* src, float* dst, int64_t n);
void dequantize_q5_0(const uint8_t* src, float* dst, int64_t n);
void dequantize_q5_1(const uint8_t* src, float* dst, int64_t n);
void dequantize_q2_k(const uint8_t* src, float* dst, int64_t n);
void dequantize_q3_k(const uint8_t* src, float* dst, int64_t n);
void dequantize_q4_k(const uint8_t* src, float* dst, int64_t n);
void dequantize_q5_k(const uint8_t* src, float* dst, int64_t n);
void dequantize_q6_k(const uint8_t* src, float* dst, int64_t n);

float dot_q8_0(const uint8_t* row, const float* x, int64_t n);
float dot_q4_0(const uint8_t* row, const float* x, int64_t n);
float dot_q4_1(const uint8_t* row, const float* x, int64_t n);
float dot_q5_0(const uint8_t* row, const float* x, int64_t n);
float dot_q5_1(const uint8_t* row, const float* x, int64_t n);
float dot_q2_k(const uint8_t* row, const float* x, int64_t n);
float dot_q3_k(const uint8_t* row, const float* x, int64_t n);
float dot_q4_k(const uint8_t* row, const float* x, int64_t n);
float dot_q5_k(const uint8_t* row, const float* x, int64_t n);
float dot_q6_k(const uint8_t* row, const float* x, int64_t n);

}  // namespace minerva::scalar
