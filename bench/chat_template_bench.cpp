// Chat-template speed: rendering a 20-message conversation with the Llama-3.1-8B-Instruct
// template (the shared chat-templates/ copy), and parsing that template.
// MINERVA_SHARED overrides where the shared data lives.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "chat/template.h"

namespace {

using json = nlohmann::ordered_json;

std::string llama31_source() {
  const char* env = std::getenv("MINERVA_SHARED");
  const std::string dir = env != nullptr && *env != '\0' ? env : MINERVA_SHARED_DIR;
  std::ifstream in(dir + "/chat-templates/meta-llama-Llama-3.1-8B-Instruct.jinja", std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

minerva::chat::ChatTemplateInputs conversation(int n_messages) {
  minerva::chat::ChatTemplateInputs in;
  in.messages.push_back({{"role", "system"}, {"content", "You are a helpful assistant. Answer briefly."}});
  for (int k = 1; k < n_messages; ++k) {
    const bool user = k % 2 == 1;
    in.messages.push_back(
        {{"role", user ? "user" : "assistant"},
         {"content", (user ? "Question " : "Answer ") + std::to_string(k) +
                         ": the quick brown fox jumps over the lazy dog, and then some more words follow."}});
  }
  in.add_generation_prompt = true;
  in.bos_token = "<|begin_of_text|>";
  in.eos_token = "<|eot_id|>";
  return in;
}

minerva::chat::RenderOptions frozen_clock() {
  minerva::chat::RenderOptions opts;
  std::tm tm{};
  tm.tm_year = 2025 - 1900;
  tm.tm_mday = 15;
  tm.tm_hour = 12;
  tm.tm_wday = 3;
  tm.tm_yday = 14;
  opts.now = tm;
  return opts;
}

void BM_RenderLlama31_20Messages(benchmark::State& state) {
  const std::string source = llama31_source();
  auto tmpl = minerva::chat::Template::parse(source);
  if (source.empty() || !tmpl) {
    state.SkipWithError("cannot read or parse meta-llama-Llama-3.1-8B-Instruct.jinja (set MINERVA_SHARED)");
    return;
  }
  const auto in = conversation(20);
  const auto opts = frozen_clock();
  size_t bytes = 0;
  for (auto _ : state) {  // NOLINT(clang-analyzer-deadcode.DeadStores): the benchmark loop idiom
    auto out = minerva::chat::apply_chat_template(*tmpl, in, opts);
    if (!out) {
      state.SkipWithError(out.error().message.c_str());
      return;
    }
    bytes = out->size();
    benchmark::DoNotOptimize(out);
  }
  state.counters["output_bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_RenderLlama31_20Messages)->Unit(benchmark::kMicrosecond);

void BM_ParseLlama31(benchmark::State& state) {
  const std::string source = llama31_source();
  for (auto _ : state) {  // NOLINT(clang-analyzer-deadcode.DeadStores): the benchmark loop idiom
    auto tmpl = minerva::chat::Template::parse(source);
    benchmark::DoNotOptimize(tmpl);
  }
}
BENCHMARK(BM_ParseLlama31)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
