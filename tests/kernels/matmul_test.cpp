#include "kernels/matmul.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <random>
#include <vector>

#include "kernels/fp16.h"

namespace minerva {
namespace {

// Naive double-precision reference for y = x W^T.
std::vector<double> reference(const std::vector<float>& w, const std::vector<float>& x, int64_t rows, int64_t cols,
                              int64_t n_tok) {
  std::vector<double> y(static_cast<size_t>(rows * n_tok));
  for (int64_t t = 0; t < n_tok; ++t)
    for (int64_t r = 0; r < rows; ++r) {
      double s = 0;
      for (int64_t c = 0; c < cols; ++c) s += static_cast<double>(w[r * cols + c]) * x[t * cols + c];
      y[t * rows + r] = s;
    }
  return y;
}

struct Shape {
  int64_t rows, cols, n_tok;
  int threads;
};

void PrintTo(const Shape& s, std::ostream* os) { *os << s.rows << "x" << s.cols << " tokens " << s.n_tok; }

class MatmulTest : public ::testing::TestWithParam<Shape> {};

TEST_P(MatmulTest, AllFloatTypesMatchDoubleReference) {
  const auto [rows, cols, n_tok, threads] = GetParam();
  std::mt19937 rng(42);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> w(static_cast<size_t>(rows * cols)), x(static_cast<size_t>(cols * n_tok));
  for (auto& v : w) v = dist(rng);
  for (auto& v : x) v = dist(rng);
  std::vector<uint16_t> w16(w.size()), wb16(w.size());
  std::vector<float> w16f(w.size()), wb16f(w.size());
  for (size_t i = 0; i < w.size(); ++i) {
    w16[i] = fp32_to_fp16(w[i]);
    w16f[i] = fp16_to_fp32(w16[i]);
    wb16[i] = static_cast<uint16_t>(std::bit_cast<uint32_t>(w[i]) >> 16);  // truncation is fine for a test
    wb16f[i] = bf16_to_fp32(wb16[i]);
  }
  ThreadPool pool(threads);
  struct Variant {
    TensorType type;
    const void* data;
    size_t elem;
    const std::vector<float>* as_float;
  } variants[] = {{TensorType::F32, w.data(), 4, &w},
                  {TensorType::F16, w16.data(), 2, &w16f},
                  {TensorType::BF16, wb16.data(), 2, &wb16f}};
  for (const auto& v : variants) {
    MatrixView m{v.type, cols, rows, static_cast<size_t>(cols) * v.elem, static_cast<const uint8_t*>(v.data)};
    std::vector<float> y(static_cast<size_t>(rows * n_tok));
    matmul(m, x.data(), n_tok, y.data(), pool);
    auto want = reference(*v.as_float, x, rows, cols, n_tok);
    for (size_t i = 0; i < y.size(); ++i) {
      ASSERT_NEAR(y[i], want[i], 1e-4 * std::sqrt(static_cast<double>(cols)) + 1e-5)
          << tensor_type_name(v.type) << " i=" << i;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, MatmulTest,
                         ::testing::Values(Shape{1, 1, 1, 1}, Shape{7, 13, 1, 2}, Shape{64, 256, 1, 2},
                                           Shape{300, 64, 5, 2}, Shape{33, 1000, 3, 3}),
                         [](const auto& info) {
                           const Shape& s = info.param;
                           return std::to_string(s.rows) + "x" + std::to_string(s.cols) + "_tok" +
                                  std::to_string(s.n_tok) + "_thr" + std::to_string(s.threads);
                         });

TEST(ThreadPool, CoversRangeExactlyOnceManyTimes) {
  ThreadPool pool(3);
  for (int iter = 0; iter < 2000; ++iter) {
    const int64_t n = 1 + iter % 97;
    std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
    pool.run(n, 1, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) hits[static_cast<size_t>(i)].fetch_add(1);
    });
    for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[static_cast<size_t>(i)].load(), 1) << "iter " << iter;
  }
}

TEST(ThreadPool, SingleThreadRunsInline) {
  ThreadPool pool(1);
  int64_t total = 0;
  pool.run(10, 1, [&](int64_t b, int64_t e) { total += e - b; });
  EXPECT_EQ(total, 10);
}

}  // namespace
}  // namespace minerva
