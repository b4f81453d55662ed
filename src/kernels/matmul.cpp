#include "kernels/matmul.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "kernels/type_traits.h"

namespace minerva {

bool kernels_support(TensorType type) { return type_kernels(type) != nullptr; }

void dequantize_row(TensorType type, const uint8_t* src, float* dst, int64_t n) {
  const TypeKernels* k = type_kernels(type);
  if (k != nullptr) {
    k->to_float(src, dst, n);
    return;
  }
  // Callers check kernels_support() when a model loads; reaching here is a bug.
  std::memset(dst, 0, static_cast<size_t>(n) * sizeof(float));
}

float dot_row(TensorType type, const uint8_t* row, const float* x, int64_t n) {
  const TypeKernels* k = type_kernels(type);
  return k != nullptr ? k->dot(row, x, n) : 0.0f;
}

void matmul(const MatrixView& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool) {
  const int64_t cols = w.cols;
  const int64_t rows = w.rows;
  // Enough rows per chunk that a thread's share is worth a wake-up (~16K multiply-adds).
  const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, cols * n_tokens));
  const TypeKernels* k = type_kernels(w.type);
  const TypeKernels* f32 = type_kernels(TensorType::F32);
  if (k == nullptr) {
    std::memset(y, 0, static_cast<size_t>(rows * n_tokens) * sizeof(float));  // unsupported: a caller bug
    return;
  }
  pool.run(rows, grain, [&](int64_t r0, int64_t r1) {
    if (n_tokens == 1 || w.type == TensorType::F32) {
      for (int64_t r = r0; r < r1; ++r) {
        for (int64_t t = 0; t < n_tokens; ++t) y[t * rows + r] = k->dot(w.row(r), x + t * cols, cols);
      }
      return;
    }
    // Several tokens: convert each weight row once, then reuse it for every token.
    thread_local std::vector<float> buf;
    buf.resize(static_cast<size_t>(cols));
    for (int64_t r = r0; r < r1; ++r) {
      k->to_float(w.row(r), buf.data(), cols);
      const auto* wr = reinterpret_cast<const uint8_t*>(buf.data());
      for (int64_t t = 0; t < n_tokens; ++t) y[t * rows + r] = f32->dot(wr, x + t * cols, cols);
    }
  });
}

}  // namespace minerva
