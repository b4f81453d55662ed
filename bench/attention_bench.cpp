// Attention of one generated token over a cache of `depth` positions on one thread, at the
// active kernel level (MINERVA_ISA=scalar|avx2|avx512 to compare levels). Shape of the 1B-class
// llama: head_dim 64, 8 KV heads of 4 query heads each, F16 cache laid out head-major as
// model/context.h's KVCache is. The cache holds 16 layers, as a real model's does (128 MiB at
// depth 4096), and each iteration attends one layer after another, so long contexts stream
// from memory the way generation does.
//   ninja -C build attention_bench && build/bench/attention_bench
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "kernels/fp16.h"
#include "model/attention.h"

namespace minerva {
namespace {

constexpr int64_t kHeadDim = 64, kKvHeads = 8, kGroup = 4, kLayers = 16;

void BM_AttendToken(benchmark::State& state) {
  const int64_t depth = state.range(0);
  const size_t head_bytes = static_cast<size_t>(kHeadDim) * 2;
  const size_t layer_bytes = head_bytes * static_cast<size_t>(kKvHeads * depth);
  std::vector<uint8_t> k(layer_bytes * kLayers), v(k.size());
  std::mt19937 rng(3);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  for (size_t i = 0; i < k.size(); i += 2) {
    const uint16_t a = fp32_to_fp16(dist(rng)), b = fp32_to_fp16(dist(rng));
    k[i] = static_cast<uint8_t>(a), k[i + 1] = static_cast<uint8_t>(a >> 8);
    v[i] = static_cast<uint8_t>(b), v[i + 1] = static_cast<uint8_t>(b >> 8);
  }
  std::vector<float> q(static_cast<size_t>(kKvHeads * kGroup * kHeadDim)), out(q.size());
  for (float& x : q) x = dist(rng);
  const AttentionShape shape{kHeadDim, 0.125f, 0.0f};
  for (auto _ : state) {
    for (int64_t l = 0; l < kLayers; ++l) {
      for (int64_t h = 0; h < kKvHeads; ++h) {
        const size_t at = static_cast<size_t>(l) * layer_bytes + static_cast<size_t>(h * depth) * head_bytes;
        const KvRows rows{k.data() + at, v.data() + at, head_bytes, KvType::F16};
        const size_t qo = static_cast<size_t>(h * kGroup * kHeadDim);
        attend_group(shape, &q[qo], kGroup, rows, 0, depth, &out[qo]);
      }
    }
    benchmark::DoNotOptimize(out.data());
  }
  // Cache bytes read per token (all layers): the memory-bound floor is this over bandwidth.
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(2 * layer_bytes * kLayers));
}
BENCHMARK(BM_AttendToken)->Arg(128)->Arg(1024)->Arg(4096)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime();

}  // namespace
}  // namespace minerva

BENCHMARK_MAIN();
