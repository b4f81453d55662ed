#include "kernels/matmul.h"

#include <cstring>
#include <vector>

#include "kernels/dot_scalar.h"

namespace minerva {

namespace {
const uint16_t* as_u16(const uint8_t* p) { return reinterpret_cast<const uint16_t*>(p); }
const float* as_f32(const uint8_t* p) { return reinterpret_cast<const float*>(p); }
}  // namespace

bool kernels_support(TensorType type) {
  return type == TensorType::F32 || type == TensorType::F16 || type == TensorType::BF16;
}

void dequantize_row(TensorType type, const uint8_t* src, float* dst, int64_t n) {
  switch (type) {
    case TensorType::F32:
      std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
      return;
    case TensorType::F16:
      scalar::f16_to_f32_row(as_u16(src), dst, n);
      return;
    case TensorType::BF16:
      scalar::bf16_to_f32_row(as_u16(src), dst, n);
      return;
    default:
      break;
  }
  // Callers check kernels_support() when a model loads; reaching here is a bug.
  std::memset(dst, 0, static_cast<size_t>(n) * sizeof(float));
}

float dot_row(TensorType type, const uint8_t* row, const float* x, int64_t n) {
  switch (type) {
    case TensorType::F32:
      return scalar::dot_f32(as_f32(row), x, n);
    case TensorType::F16:
      return scalar::dot_f16(as_u16(row), x, n);
    case TensorType::BF16:
      return scalar::dot_bf16(as_u16(row), x, n);
    default:
      return 0.0f;
  }
}

void matmul(const MatrixView& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool) {
  const int64_t cols = w.cols;
  const int64_t rows = w.rows;
  // Enough rows per chunk that a thread's share is worth a wake-up (~16K multiply-adds).
  const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, cols * n_tokens));
  pool.run(rows, grain, [&](int64_t r0, int64_t r1) {
    if (n_tokens == 1 || w.type == TensorType::F32) {
      for (int64_t r = r0; r < r1; ++r) {
        for (int64_t t = 0; t < n_tokens; ++t) y[t * rows + r] = dot_row(w.type, w.row(r), x + t * cols, cols);
      }
      return;
    }
    // Several tokens: convert each weight row once, then reuse it for every token.
    thread_local std::vector<float> buf;
    buf.resize(static_cast<size_t>(cols));
    for (int64_t r = r0; r < r1; ++r) {
      dequantize_row(w.type, w.row(r), buf.data(), cols);
      for (int64_t t = 0; t < n_tokens; ++t) y[t * rows + r] = scalar::dot_f32(buf.data(), x + t * cols, cols);
    }
  });
}

}  // namespace minerva
