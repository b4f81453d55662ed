#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/loaded_model.h"

namespace minerva {

// One llama-bench style measurement: prompt processing of n_prompt tokens in one batch
// ("ppN"), or generation of n_gen tokens one at a time ("tgN"), repeated.
struct BenchTest {
  int64_t n_prompt = 0;
  int64_t n_gen = 0;
  std::string name() const;  // "pp512" / "tg128"
};

struct BenchResult {
  BenchTest test;
  int threads = 1;
  std::vector<double> samples_ts;  // tokens per second of each repetition
  std::vector<double> samples_ns;  // wall time of each repetition
  double avg_ts() const;
  double stddev_ts() const;
};

// Runs `reps` timed repetitions (after one untimed warm-up) with fresh KV caches, on random
// token ids so no tokenizer work is measured.
Result<BenchResult> run_bench(const LoadedModel& model, const BenchTest& test, int threads, int reps);

}  // namespace minerva
