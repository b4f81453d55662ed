// kernels: quantization, float rows -> ggml block types (scalar reference code).
// The formulas follow ggml's quantize_row_*_ref, so for the same float input the blocks are
// the ones llama.cpp's quantizer writes without an importance matrix, and the dequantize
// kernels in quant_scalar.h read them back.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "formats/tensor_type.h"

namespace minerva {

// The types quantize_row can produce: F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K,
// Q4_K, Q5_K, Q6_K.
bool quantize_supported(TensorType type);
std::span<const TensorType> quantize_types();
std::string quantize_type_names();  // "F32, F16, Q4_0, ..."

// Bytes of a row of n values of `type` (n a multiple of the type's block size).
uint64_t quantized_row_bytes(TensorType type, int64_t n);

// Writes n values of x as `type` into dst (quantized_row_bytes(type, n) bytes). The caller
// checks quantize_supported(type) and that n is a multiple of the block size.
void quantize_row(TensorType type, const float* x, uint8_t* dst, int64_t n);

namespace quant {
void quantize_row_q8_0(const float* x, uint8_t* dst, int64_t n);
void quantize_row_q4_0(const float* x, uint8_t* dst, int64_t n);
void quantize_row_q4_1(const float* x, uint8_t* dst, int64_t n);
void quantize_row_q5_0(const float* x, uint8_t* dst, int64_t n);
void quantize_row_q5_1(const float* x, uint8_t* dst, int64_t n);
void quantize_row_q2_k(const float* x, uint8_t* dst, int64_t n);
void quantize_row_q3_k(const float* x, uint8_t* dst, int64_t n);
void quantize_row_q4_k(const float* x, uint8_t* dst, int64_t n);
void quantize_row_q5_k(const float* x, uint8_t* dst, int64_t n);
void quantize_row_q6_k(const float* x, uint8_t* dst, int64_t n);
}  // namespace quant

}  // namespace minerva
