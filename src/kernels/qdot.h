// Integer dot products: activations are quantized once per row to 8 bits (BlockQ8A for the
// 32-value types, BlockQ8_K for the K types, as ggml does) and dotted against weight rows in
// integer arithmetic, one float multiply-add per (sub-)block. Scalar reference kernels here;
// the SIMD variants (avx2.cpp, avx512.cpp) are tested against them.
#pragma once

#include <cstddef>
#include <cstdint>

namespace minerva {

namespace quant {
struct BlockQ8_K;
struct BlockQ8_KG;
}  // namespace quant

// Most activation rows one qdot call handles: the weight block is unpacked once and reused
// for each of them (the prompt-processing GEMM's register tile).
inline constexpr int kQDotMaxRows = 4;

namespace scalar {

// x[0..n) -> n / 32 BlockQ8A blocks (n a multiple of 32).
void quantize_act_q8a(const float* x, uint8_t* dst, int64_t n);
// x[0..n) -> n / 128 BlockQ8A4 groups (n a multiple of 128): the same quantization as
// quantize_act_q8a, re-laid for the AVX-512 decode GEMV against weights whose unsigned codes
// carry an offset of 2^offset_shift; one function per weight type's offset.
void quantize_act_q8a4(const float* x, uint8_t* dst, int64_t n, int offset_shift);
void quantize_act_q8a4_off8(const float* x, uint8_t* dst, int64_t n);    // Q4_0
void quantize_act_q8a4_off16(const float* x, uint8_t* dst, int64_t n);   // Q5_0
void quantize_act_q8a4_off128(const float* x, uint8_t* dst, int64_t n);  // Q8_0 (codes + 128)
// x[0..n) -> n / 256 BlockQ8_K blocks (n a multiple of 256).
void quantize_act_q8k(const float* x, uint8_t* dst, int64_t n);
// x[0..n) -> n / 256 BlockQ8_KG blocks: quantize_act_q8k's codes, re-laid by q8k_gemv_layout.
void quantize_act_q8kg(const float* x, uint8_t* dst, int64_t n);
// The BlockQ8_KG of a BlockQ8_K (shared by the scalar and AVX-512 quantize_act_q8kg).
void q8k_gemv_layout(const quant::BlockQ8_K& in, quant::BlockQ8_KG& out);

// out[j] = dot(weight row w, activation row j) for j < n_act (1..kQDotMaxRows); activation row
// j starts at act + j * act_stride bytes. n values per row.
void qdot_q8_0(int64_t n, const uint8_t* w, const uint8_t* act, size_t act_stride, int n_act, float* out);
void qdot_q4_0(int64_t n, const uint8_t* w, const uint8_t* act, size_t act_stride, int n_act, float* out);
void qdot_q4_1(int64_t n, const uint8_t* w, const uint8_t* act, size_t act_stride, int n_act, float* out);
void qdot_q5_0(int64_t n, const uint8_t* w, const uint8_t* act, size_t act_stride, int n_act, float* out);
void qdot_q5_1(int64_t n, const uint8_t* w, const uint8_t* act, size_t act_stride, int n_act, float* out);
void qdot_q2_k(int64_t n, const uint8_t* w, const uint8_t* act, size_t act_stride, int n_act, float* out);
void qdot_q3_k(int64_t n, const uint8_t* w, const uint8_t* act, size_t act_stride, int n_act, float* out);
void qdot_q4_k(int64_t n, const uint8_t* w, const uint8_t* act, size_t act_stride, int n_act, float* out);
void qdot_q5_k(int64_t n, const uint8_t* w, const uint8_t* act, size_t act_stride, int n_act, float* out);
void qdot_q6_k(int64_t n, const uint8_t* w, const uint8_t* act, size_t act_stride, int n_act, float* out);

}  // namespace scalar
}  // namespace minerva
