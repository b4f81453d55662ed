// Matmul throughput per weight type on one thread, at the active kernel level (set
// MINERVA_ISA=scalar|avx2|avx512 to compare levels). CPU time is what counts on a shared
// machine:  ninja -C build matmul_bench && build/bench/matmul_bench --benchmark_filter=Q4_0
// Shapes are the 1B-class llama's: 8192 x 2048 (ffn_up, ~9 MB of Q4_0: streams from memory
// like generation does), 2048 x 2048 with 64 tokens (prompt processing, compute-bound) and
// ffn_down (2048 x 8192) with 256 tokens, whose activations no longer fit in L2.
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "kernels/matmul.h"
#include "kernels/quantize.h"
#include "kernels/thread_pool.h"

namespace minerva {
namespace {

struct Weights {
  std::vector<uint8_t> bytes;
  MatrixView view;
};

Weights make_weights(TensorType type, int64_t rows, int64_t cols) {
  std::mt19937 rng(7);
  std::normal_distribution<float> dist(0.0f, 0.02f);
  std::vector<float> row(static_cast<size_t>(cols));
  const auto row_bytes = static_cast<size_t>(quantized_row_bytes(type, cols));
  Weights w;
  w.bytes.resize(row_bytes * static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; ++r) {
    for (auto& v : row) v = dist(rng);
    quantize_row(type, row.data(), w.bytes.data() + static_cast<size_t>(r) * row_bytes, cols);
  }
  w.view = MatrixView{type, cols, rows, row_bytes, w.bytes.data()};
  return w;
}

void BM_Matmul(benchmark::State& state, TensorType type) {
  const int64_t rows = state.range(0), cols = state.range(1), n_tok = state.range(2);
  const Weights w = make_weights(type, rows, cols);
  std::vector<float> x(static_cast<size_t>(cols * n_tok)), y(static_cast<size_t>(rows * n_tok));
  std::mt19937 rng(3);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  for (auto& v : x) v = dist(rng);
  ThreadPool pool(1);
  for (auto _ : state) {
    matmul(w.view, x.data(), n_tok, y.data(), pool);
    benchmark::DoNotOptimize(y.data());
  }
  const double macs = static_cast<double>(rows * cols * n_tok);
  state.counters["GMAC/s"] = benchmark::Counter(macs * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["GB/s"] =
      benchmark::Counter(static_cast<double>(w.bytes.size()) * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

void shapes(benchmark::internal::Benchmark* b) {
  b->Args({8192, 2048, 1})
      ->Args({8192, 2048, 4})
      ->Args({8192, 2048, 8})
      ->Args({8192, 2048, 15})
      ->Args({2048, 2048, 64})
      ->Args({2048, 8192, 256})
      ->Unit(benchmark::kMillisecond);
}

BENCHMARK_CAPTURE(BM_Matmul, Q4_0, TensorType::Q4_0)->Apply(shapes);
BENCHMARK_CAPTURE(BM_Matmul, Q8_0, TensorType::Q8_0)->Apply(shapes);
BENCHMARK_CAPTURE(BM_Matmul, Q4_K, TensorType::Q4_K)->Apply(shapes);
BENCHMARK_CAPTURE(BM_Matmul, Q6_K, TensorType::Q6_K)->Apply(shapes);
BENCHMARK_CAPTURE(BM_Matmul, Q5_0, TensorType::Q5_0)->Apply(shapes);

}  // namespace
}  // namespace minerva

BENCHMARK_MAIN();
