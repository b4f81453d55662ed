#include "engine/bench.h"

#include <chrono>
#include <cmath>
#include <numeric>
#include <random>

#include "model/context.h"

namespace minerva {

std::string BenchTest::name() const {
  std::string n = n_prompt > 0 ? "pp" + std::to_string(n_prompt) : "tg" + std::to_string(n_gen);
  if (n_depth > 0) n += " @ d" + std::to_string(n_depth);
  return n;
}

double BenchResult::avg_ts() const {
  if (samples_ts.empty()) return 0.0;
  return std::accumulate(samples_ts.begin(), samples_ts.end(), 0.0) / static_cast<double>(samples_ts.size());
}

double BenchResult::stddev_ts() const {
  if (samples_ts.size() < 2) return 0.0;
  const double mean = avg_ts();
  double sq = 0.0;
  for (double s : samples_ts) sq += (s - mean) * (s - mean);
  return std::sqrt(sq / static_cast<double>(samples_ts.size() - 1));
}

Result<BenchResult> run_bench(const LoadedModel& model, const BenchTest& test, int threads, int reps, KvType kv_type) {
  if ((test.n_prompt > 0) == (test.n_gen > 0)) return make_error("a bench test is either pp or tg");
  if (test.n_depth < 0) return make_error("bench depth must be >= 0, got " + std::to_string(test.n_depth));
  ThreadPool pool(threads);
  const int64_t n_vocab = model.model->hparams().n_vocab;
  const int64_t n_ctx = test.n_depth + test.n_prompt + test.n_gen;
  std::mt19937 rng(1234);
  std::uniform_int_distribution<Token> dist(0, static_cast<Token>(n_vocab - 1));
  BenchResult result;
  result.test = test;
  result.threads = pool.size();
  Context ctx(model.model, n_ctx, pool, 1, kv_type);
  if (test.n_depth > 0) {
    std::vector<Token> depth(static_cast<size_t>(test.n_depth));
    for (auto& t : depth) t = dist(rng);
    MINERVA_CHECK(ctx.eval(depth));
  }
  for (int rep = -1; rep < reps; ++rep) {  // rep -1: warm-up (page faults, caches)
    ctx.truncate(test.n_depth);
    std::vector<Token> tokens(static_cast<size_t>(std::max(test.n_prompt, test.n_gen)));
    for (auto& t : tokens) t = dist(rng);
    const auto t0 = std::chrono::steady_clock::now();
    if (test.n_prompt > 0) {
      MINERVA_CHECK(ctx.eval(tokens));
    } else {
      for (Token t : tokens) MINERVA_CHECK(ctx.eval(std::span<const Token>(&t, 1)));
    }
    const double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
    if (rep < 0) continue;
    result.samples_ns.push_back(ns);
    result.samples_ts.push_back(static_cast<double>(tokens.size()) * 1e9 / ns);
  }
  return result;
}

}  // namespace minerva
