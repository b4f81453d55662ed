// Grammar token-mask speed over the 32000-token Llama SPM vocabulary (the shared
// ggml-vocab-llama-spm.gguf): generating a nested-object JSON document token by token, choosing
// each next token at random among the allowed ones (as a random-weight model does).
//   Cold: a fresh matcher per document, so every state's transitions and masks are computed.
//   Warm: the same matcher across documents (cached states and masks, as later steps of a
//   request see).
// Reported per generated token. MINERVA_SHARED overrides where the shared data lives.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include "formats/gguf.h"
#include "grammar/json_schema.h"
#include "grammar/matcher.h"
#include "grammar/token_mask.h"
#include "tokenizer/tokenizer.h"

namespace {

using namespace minerva;

const char* kSchema = R"({"type":"object","properties":{
  "user":{"type":"object","properties":{"name":{"type":"string","maxLength":40},"email":{"type":"string","format":"email"},
          "address":{"type":"object","properties":{"street":{"type":"string","maxLength":40},"city":{"type":"string","maxLength":30},
                     "zip":{"type":"string","pattern":"^[0-9]{5}$"}},"required":["street","city","zip"]}},"required":["name","email","address"]},
  "orders":{"type":"array","maxItems":3,"items":{"type":"object","properties":{"id":{"type":"string","format":"uuid"},
            "total":{"type":"number","minimum":0,"maximum":100000},"items":{"type":"array","maxItems":4,"items":{"type":"string","maxLength":20}}},
            "required":["id","total","items"]}}},"required":["user","orders"]})";

struct Setup {
  std::vector<std::string> pieces;
  std::unique_ptr<grammar::TokenTrie> trie;
  std::shared_ptr<const grammar::Grammar> g;
};

[[noreturn]] void die(const Error& e) {
  std::fprintf(stderr, "grammar_mask_bench: %s\n", e.message.c_str());
  std::exit(1);
}

const Setup& setup() {
  static const Setup s = [] {
    Setup out;
    const char* env = std::getenv("MINERVA_SHARED");
    const std::string dir = env != nullptr && *env != '\0' ? env : MINERVA_SHARED_DIR;
    auto file = GgufFile::open(dir + "/tokenizers/gguf/ggml-vocab-llama-spm.gguf");
    if (!file) die(file.error());
    auto tok = Tokenizer::from_gguf(file.value());
    if (!tok) die(tok.error());
    for (size_t i = 0; i < tok->vocab().size(); ++i) {
      const auto t = static_cast<Token>(i);
      out.pieces.push_back(tok->vocab().is_eog(t) ? std::string() : tok->token_to_piece(t));
    }
    out.trie = std::make_unique<grammar::TokenTrie>(out.pieces);
    auto text = grammar::schema_to_gbnf(nlohmann::ordered_json::parse(kSchema));
    if (!text) die(text.error());
    auto g = grammar::parse_gbnf(text.value());
    if (!g) die(g.error());
    out.g = g.value();
    return out;
  }();
  return s;
}

// Generates one document (or up to 200 tokens); returns the tokens generated.
int64_t generate(grammar::Matcher& m, grammar::TokenMasker& masker, std::mt19937& rng, std::vector<int32_t>& ok) {
  const Setup& s = setup();
  m.set_state(m.start());
  int64_t n = 0;
  while (n < 200 && m.can_continue(m.state())) {
    const grammar::TokenMask& mask = masker.mask(m.state());
    ok.clear();
    for (size_t i = 0; i < s.pieces.size(); ++i) {
      if (grammar::mask_test(mask, i)) ok.push_back(static_cast<int32_t>(i));
    }
    if (ok.empty()) break;
    m.accept(s.pieces[static_cast<size_t>(ok[rng() % ok.size()])]);
    ++n;
  }
  return n;
}

void BM_MaskCold(benchmark::State& state) {
  const Setup& s = setup();
  std::mt19937 rng(1);
  std::vector<int32_t> ok;
  int64_t tokens = 0;
  for (auto _ : state) {
    grammar::Matcher m(s.g);
    grammar::TokenMasker masker(*s.trie, m);
    tokens += generate(m, masker, rng, ok);
  }
  // Seconds per generated token (printed with an SI prefix, e.g. 150u = 150 us).
  state.counters["s_per_token"] =
      benchmark::Counter(static_cast<double>(tokens), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_MaskWarm(benchmark::State& state) {
  const Setup& s = setup();
  std::mt19937 rng(1);
  std::vector<int32_t> ok;
  grammar::Matcher m(s.g);
  grammar::TokenMasker masker(*s.trie, m);
  for (int i = 0; i < 20; ++i) generate(m, masker, rng, ok);
  int64_t tokens = 0;
  for (auto _ : state) tokens += generate(m, masker, rng, ok);
  // Seconds per generated token (printed with an SI prefix, e.g. 150u = 150 us).
  state.counters["s_per_token"] =
      benchmark::Counter(static_cast<double>(tokens), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

BENCHMARK(BM_MaskCold)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MaskWarm)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
