#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "formats/tensor_type.h"
#include "kernels/cpu_features.h"

namespace minerva {

// dst[0..n) = a row of n values in some storage type, as floats.
using DequantizeRowFn = void (*)(const uint8_t* src, float* dst, int64_t n);
// sum_i row[i] * x[i] for a row of n values in some storage type and float x.
using DotRowFn = float (*)(const uint8_t* row, const float* x, int64_t n);

// Float row -> activation blocks for the integer dots (see kernels/qdot.h).
using QuantizeActFn = void (*)(const float* x, uint8_t* dst, int64_t n);
// out[j] = dot(weight row w, activation row j) for j < n_act <= kQDotMaxRows; activation row j
// starts at act + j * act_stride bytes.
using QDotFn = void (*)(int64_t n, const uint8_t* w, const uint8_t* act, size_t act_stride, int n_act, float* out);

// Whole-tile GEMM (AMX) in two steps. GemmPackFn re-lays n_tok activation rows (quantize_act
// blocks, act_stride bytes apart; n_tok a multiple of kGemmTile) into the kernel's tile layout,
// gemm_pack_bytes(n, n_tok) bytes, linear in n_tok, so token groups can be packed in parallel
// into consecutive ranges; once per matmul. GemmFn then gives y[t * y_stride + r] =
// dot(weight row r, activation row t) for r < n_rows (a multiple of kGemmTile) and t < n_tok,
// using `scratch` (kGemmScratchPerValue * kGemmRowTiles * n bytes, one per thread) for the
// unpacked weights of up to kGemmRowTiles row tiles at a time (AMX) or of one 16-row tile in a
// transposed form (the AVX-512 GEMM: up to 20 bytes per value of a row).
using GemmPackFn = void (*)(int64_t n, const uint8_t* act, size_t act_stride, int64_t n_tok, uint8_t* dst);
using GemmPackBytesFn = size_t (*)(int64_t n, int64_t n_tok);
using GemmFn = void (*)(int64_t n, const uint8_t* w, size_t row_bytes, int64_t n_rows, const uint8_t* packed,
                        int64_t n_tok, uint8_t* scratch, float* y, size_t y_stride);
inline constexpr size_t kGemmScratchPerValue = 24;
inline constexpr int64_t kGemmRowTiles = 8;
inline constexpr int64_t kGemmTile = 16;
// A small-batch GEMM (GemmFn with gemm_small_pack) takes 1..kGemmTile tokens at a time;
// matmul uses it from this many tokens on (below, the GEMV is as fast or faster).
inline constexpr int64_t kGemmSmallMinTokens = 6;
// Most tokens one GEMV call takes: the weights stream once for all of them.
inline constexpr int kGemvMaxTokens = 8;

// Decode GEMV over the activation layout of gemv_quantize_act: y[t * y_stride + r] =
// dot(weight row r, activation row t) for r < n_rows and t < n_tok (1..kGemvMaxTokens); weight
// rows are row_bytes apart, activation rows act_stride. n is a multiple of gemv_group_elems.
using GemvFn = void (*)(int64_t n, const uint8_t* w, size_t row_bytes, int64_t n_rows, const uint8_t* act,
                        size_t act_stride, int n_tok, float* y, size_t y_stride);
// Four activation rows of the gemv_quantize_act layout (act_stride bytes apart) re-laid for a
// four-token GEMV (gemv4): n / gemv_group_elems groups of gemv4_group_bytes each.
using Gemv4PackFn = void (*)(int64_t n, const uint8_t* act, size_t act_stride, uint8_t* dst);

// The kernels of one storage type at one ISA level (like ggml's type_traits).
struct TypeKernels {
  DequantizeRowFn to_float = nullptr;
  DotRowFn dot = nullptr;
  // Integer-dot path (null for the float types): activations quantized with quantize_act into
  // blocks of act_block_elems values / act_block_bytes bytes, then qdot.
  QuantizeActFn quantize_act = nullptr;
  int64_t act_block_elems = 0;
  size_t act_block_bytes = 0;
  QDotFn qdot = nullptr;
  // Optional whole-tile GEMM on the same activation blocks (AMX), for batches of tokens.
  GemmFn gemm = nullptr;
  GemmPackFn gemm_pack = nullptr;
  GemmPackBytesFn gemm_pack_bytes = nullptr;
  // Optional GEMM for a few tokens (AMX), same contract but any n_tok up to kGemmTile, packed by
  // its own gemm_small_pack in one call.
  GemmFn gemm_small = nullptr;
  GemmPackFn gemm_small_pack = nullptr;
  GemmPackBytesFn gemm_small_pack_bytes = nullptr;
  // Optional GEMV for a few tokens (generation), on its own activation layout: groups of
  // gemv_group_elems values in gemv_group_bytes bytes written by gemv_quantize_act.
  GemvFn gemv = nullptr;
  QuantizeActFn gemv_quantize_act = nullptr;
  int64_t gemv_group_elems = 0;
  size_t gemv_group_bytes = 0;
  // Optional GEMV for exactly four tokens (a GemvFn with n_tok = 4 whose act is gemv4_pack's
  // output; act_stride unused): the decode step of four sequences.
  GemvFn gemv4 = nullptr;
  Gemv4PackFn gemv4_pack = nullptr;
  size_t gemv4_group_bytes = 0;
};

// Kernels for `type` at the active ISA level (see active_isa()); nullptr when unsupported.
// The tables are built once, on first use.
const TypeKernels* type_kernels(TensorType type);

// Kernels for `type` at a given level, for tests and benchmarks; nullptr when the type is
// unsupported or the CPU cannot run that level. Types without a faster variant fall back to
// the next lower level.
const TypeKernels* type_kernels(TensorType type, Isa isa);

// Every type the kernels support, in ggml id order.
std::span<const TensorType> supported_tensor_types();

// The supported types' names, comma-separated, e.g. "F32, F16, Q4_0, ...".
std::string supported_tensor_type_names();

}  // namespace minerva
