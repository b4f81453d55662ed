// Tokenizer encode throughput on shared/perf/corpus-1mb.txt (English, C++ headers, CJK, Cyrillic, Arabic,
// Devanagari, emoji), single thread: GGUF byte-level BPE (gpt-2), GGUF SPM (llama-spm) and HF tokenizer.json
// pipelines (GPT-2 ByteLevel BPE, Llama-3.1 Split+ByteLevel BPE, Llama-2 SPM-style BPE with byte fallback).
//   ninja -C build tokenizer_bench && build/bench/tokenizer_bench --benchmark_repetitions=5
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "formats/gguf.h"
#include "tokenizer/tokenizer.h"

namespace {

// MINERVA_SHARED overrides where the shared data lives.
std::string shared(const std::string& rel) {
  const char* env = std::getenv("MINERVA_SHARED");
  return (env != nullptr && *env != '\0' ? std::string(env) : std::string(MINERVA_SHARED_DIR)) + "/" + rel;
}

const std::string& corpus() {
  static const std::string text = [] {
    std::ifstream in(shared("perf/corpus-1mb.txt"), std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }();
  return text;
}

void run(benchmark::State& state, const minerva::Result<minerva::Tokenizer>& tok) {
  if (!tok.ok()) {
    state.SkipWithError(tok.error().message.c_str());
    return;
  }
  const std::string& text = corpus();
  if (text.empty()) {
    state.SkipWithError("cannot read perf/corpus-1mb.txt");
    return;
  }
  size_t tokens = 0;
  for (auto _ : state) {
    const auto ids = tok->encode(text, {.add_special = true, .parse_special = false});
    tokens = ids.size();
    benchmark::DoNotOptimize(ids.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
  state.counters["tokens"] = static_cast<double>(tokens);
}

minerva::Result<minerva::Tokenizer> gguf(const std::string& rel) {
  MINERVA_TRY(minerva::GgufFile file, minerva::GgufFile::open(shared(rel)));
  return minerva::Tokenizer::from_gguf(file);
}

void BM_GgufBpeGpt2(benchmark::State& state) {
  static const auto tok = gguf("tokenizers/gguf/ggml-vocab-gpt-2.gguf");
  run(state, tok);
}
void BM_GgufSpmLlama(benchmark::State& state) {
  static const auto tok = gguf("tokenizers/gguf/ggml-vocab-llama-spm.gguf");
  run(state, tok);
}
void BM_HfJsonGpt2(benchmark::State& state) {
  static const auto tok = minerva::Tokenizer::from_hf(shared("tokenizers/hf/gpt2"));
  run(state, tok);
}
void BM_HfJsonLlama31(benchmark::State& state) {
  static const auto tok = minerva::Tokenizer::from_hf(shared("tokenizers/hf/llama3.1"));
  run(state, tok);
}
void BM_HfJsonLlama2(benchmark::State& state) {
  static const auto tok = minerva::Tokenizer::from_hf(shared("tokenizers/hf/llama2"));
  run(state, tok);
}

}  // namespace

BENCHMARK(BM_GgufBpeGpt2)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_GgufSpmLlama)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_HfJsonGpt2)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_HfJsonLlama31)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_HfJsonLlama2)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
