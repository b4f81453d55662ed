#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "formats/tensor_type.h"
#include "kernels/thread_pool.h"

namespace minerva {

// A row-major weight matrix in a ggml storage type: `rows` rows of `cols` values, each row
// `row_bytes` bytes (a whole number of blocks). Points into the mapped model file.
struct MatrixView {
  TensorType type = TensorType::F32;
  int64_t cols = 0;
  int64_t rows = 0;
  size_t row_bytes = 0;
  const uint8_t* data = nullptr;

  const uint8_t* row(int64_t r) const { return data + static_cast<size_t>(r) * row_bytes; }
};

// Whether dot products and dequantization exist for `type`.
bool kernels_support(TensorType type);

// dst[0..n) = row `src` (n values of `type`) as floats.
void dequantize_row(TensorType type, const uint8_t* src, float* dst, int64_t n);

// sum_i row[i] * x[i] over n values; row is in `type`, x is float.
float dot_row(TensorType type, const uint8_t* row, const float* x, int64_t n);

// y = x * W^T: for each of n_tokens activation rows x[t] (w.cols floats each),
// y[t * w.rows + r] = dot(W row r, x[t]). Rows are split across the pool's threads.
void matmul(const MatrixView& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool);

// One matrix of several applied to the same activations, and where its result goes
// (y[t * w->rows + r], as in matmul).
struct MatmulPart {
  const MatrixView* w = nullptr;
  float* y = nullptr;
};

// matmul() for each part, the same activations x for all (Q/K/V, FFN gate/up). When every part
// would take the decode GEMV (same width, types may differ), x is quantized once per activation
// layout and all their rows go to the threads as one job: one wait for the slowest thread
// instead of one per matrix.
void matmul_many(std::span<const MatmulPart> parts, const float* x, int64_t n_tokens, ThreadPool& pool);

}  // namespace minerva
