// `minerva bench`: prompt-processing and generation speed, printed like llama-bench.
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/commands.h"
#include "cli/common.h"
#include "engine/bench.h"
#include "formats/gguf_describe.h"

namespace minerva::cli {

namespace {

struct BenchOptions {
  std::string model;
  std::vector<int64_t> n_prompt = {512};
  std::vector<int64_t> n_gen = {128};
  std::vector<int64_t> n_depth = {0};
  std::vector<int> threads = {0};
  int reps = 5;
  std::string output = "md";
  std::string cache_type = "f16";
  HugePages huge_pages = HugePages::Auto;
};

uint64_t parameter_count(const GgufFile& f) {
  uint64_t n = 0;
  for (const auto& t : f.tensors()) n += t.n_elements;
  return n;
}

int bench(const BenchOptions& o) {
  auto kv = parse_kv_type(o.cache_type);
  if (!kv) return report(kv.error());
  auto lm = load_model(o.model, {o.huge_pages, nullptr});
  if (!lm) return report(lm.error());
  // Measure what generation settles at, not the move.
  if (lm->huge_pages != nullptr && lm->huge_pages->wait()) {
    std::fprintf(stderr, "weights: huge pages (%.1f MiB moved in %.0f ms)\n",
                 static_cast<double>(lm->huge_pages->wait().value()) / (1024.0 * 1024.0), lm->huge_pages->ms());
  } else {
    std::fprintf(stderr, "weights: %s\n", lm->weights_memory().c_str());
  }
  const GgufFile& f = *lm->file;
  uint64_t weight_bytes = 0;
  for (const auto& t : f.tensors()) weight_bytes += t.nbytes;
  const uint64_t params = parameter_count(f);
  const std::string model_type = lm->model->hparams().arch + " " + format_count(params);
  std::vector<BenchTest> tests;
  for (int64_t d : o.n_depth) {
    for (int64_t p : o.n_prompt) {
      if (p > 0) tests.push_back({p, 0, d});
    }
    for (int64_t n : o.n_gen) {
      if (n > 0) tests.push_back({0, n, d});
    }
  }
  nlohmann::json out = nlohmann::json::array();
  // Like llama-bench, the KV cache types get columns only when they are not the default.
  const bool kv_cols = kv.value() != KvType::F16;
  const std::string kv_name = kv_type_name(kv.value());
  const std::string kv_cells =
      kv_cols ? std::string(" ").append(kv_name).append(" | ").append(kv_name).append(" |") : "";
  if (o.output == "md") {
    std::printf("| model | size | params | backend | threads |%s test | t/s |\n", kv_cols ? " type_k | type_v |" : "");
    std::printf("| --- | ---: | ---: | --- | ---: |%s ---: | ---: |\n", kv_cols ? " --- | --- |" : "");
  }
  for (int threads : o.threads) {
    for (const BenchTest& test : tests) {
      auto r = run_bench(*lm, test, choose_threads(threads), o.reps, kv.value());
      if (!r) return report(r.error());
      if (o.output == "md") {
        std::printf("| %s | %s | %s | CPU | %d |%s %s | %.2f ± %.2f |\n", model_type.c_str(),
                    format_byte_size(weight_bytes).c_str(), format_count(params).c_str(), r->threads, kv_cells.c_str(),
                    test.name().c_str(), r->avg_ts(), r->stddev_ts());
        std::fflush(stdout);
      } else {
        out.push_back({{"model_filename", o.model},
                       {"model_type", model_type},
                       {"model_size", weight_bytes},
                       {"model_n_params", params},
                       {"backends", "CPU"},
                       {"n_threads", r->threads},
                       {"n_prompt", test.n_prompt},
                       {"n_gen", test.n_gen},
                       {"n_depth", test.n_depth},
                       {"type_k", kv_name},
                       {"type_v", kv_name},
                       {"avg_ts", r->avg_ts()},
                       {"stddev_ts", r->stddev_ts()},
                       {"samples_ts", r->samples_ts},
                       {"samples_ns", r->samples_ns}});
      }
    }
  }
  if (o.output == "json") std::printf("%s\n", out.dump(2).c_str());
  return 0;
}

}  // namespace

Command register_bench(CLI::App& app) {
  auto o = std::make_shared<BenchOptions>();
  CLI::App* sub = app.add_subcommand("bench", "Measure prompt processing (ppN) and generation (tgN) speed");
  sub->add_option("-m,--model", o->model, "GGUF model file")->required();
  sub->add_option("-p,--n-prompt", o->n_prompt, "Prompt lengths to test, one batch each (0: none)")
      ->delimiter(',')
      ->capture_default_str();
  sub->add_option("-n,--n-gen", o->n_gen, "Generation lengths to test, one token at a time (0: none)")
      ->delimiter(',')
      ->capture_default_str();
  sub->add_option("-d,--n-depth", o->n_depth,
                  "Tokens already in the KV cache before each test, evaluated once untimed (llama-bench's -d)")
      ->delimiter(',')
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  sub->add_option("-t,--threads", o->threads, "Thread counts to test (0: all CPUs)")
      ->delimiter(',')
      ->capture_default_str();
  sub->add_option("-r,--repetitions", o->reps, "Timed repetitions per test (after one warm-up)")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  sub->add_option("--cache-type", o->cache_type, "KV cache element type: f16 or f32")->capture_default_str();
  add_huge_pages_option(sub, &o->huge_pages);
  sub->add_option("-o,--output", o->output, "Output format: md (table) or json")
      ->check(CLI::IsMember({"md", "json"}))
      ->capture_default_str();
  return {sub, [o] { return bench(*o); }};
}

}  // namespace minerva::cli
