#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/loaded_model.h"
#include "model/attention.h"

namespace minerva {

// One llama-bench style measurement: prompt processing of n_prompt tokens in one batch
// ("ppN"), or generation of n_gen tokens one at a time ("tgN"), repeated; both optionally
// after n_depth tokens already in the KV cache (llama-bench's -d), so long-context speed shows.
struct BenchTest {
  int64_t n_prompt = 0;
  int64_t n_gen = 0;
  int64_t n_depth = 0;
  std::string name() const;  // "pp512" / "tg128" / "tg128 @ d4096"
};

struct BenchResult {
  BenchTest test;
  int threads = 1;
  std::vector<double> samples_ts;  // tokens per second of each repetition
  std::vector<double> samples_ns;  // wall time of each repetition
  double avg_ts() const;
  double stddev_ts() const;
};

// Runs `reps` timed repetitions (after one untimed warm-up) on random token ids so no
// tokenizer work is measured. The n_depth tokens are evaluated once, untimed; each repetition
// truncates the cache back to them.
Result<BenchResult> run_bench(const LoadedModel& model, const BenchTest& test, int threads, int reps,
                              KvType kv_type = KvType::F16);

}  // namespace minerva
