// shared/perf's 1 MB corpus (English, code, CJK, Cyrillic, Arabic, Devanagari, emoji) against llama.cpp's ids
// for the llama-spm and gpt-2 vocabs: a large conformance test, and a throughput figure for the log.
#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "tokenizer_fixtures.h"

namespace minerva {
namespace {

TEST(TokenizerCorpus, OneMegabyteMatchesLlamaCpp) {
  std::string error;
  const Tokenizer* tok = testing::shared_tokenizer("tokenizers/gguf/ggml-vocab-llama-spm.gguf", &error);
  ASSERT_NE(tok, nullptr) << error;
  const std::string text = testing::read_file(testing::shared_path("perf/corpus-1mb.txt"));
  const std::string ids_json = testing::read_file(testing::shared_path("perf/corpus-1mb.llama-spm.ids.json"));
  ASSERT_FALSE(text.empty());
  ASSERT_FALSE(ids_json.empty());
  const auto expected = nlohmann::json::parse(ids_json).get<std::vector<Token>>();

  // llama-tokenize defaults: the vocab's BOS rule, special-token text parsed (the corpus has none).
  double best = 1e9;
  std::vector<Token> ids;
  for (int rep = 0; rep < 3; ++rep) {
    const auto start = std::chrono::steady_clock::now();
    ids = tok->encode(text, {.add_special = true, .parse_special = true});
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::printf("corpus-1mb llama-spm: %zu tokens, best of 3 %.3f s (%.2f MB/s; llama.cpp 0.64 s)\n", ids.size(), best,
              static_cast<double>(text.size()) / 1e6 / best);

  ASSERT_EQ(ids.size(), expected.size());
  const auto diff = std::mismatch(ids.begin(), ids.end(), expected.begin());
  EXPECT_TRUE(diff.first == ids.end()) << "first difference at token " << (diff.first - ids.begin());
  EXPECT_EQ(tok->decode(ids), " " + text);  // BOS first: the dummy space stays
  EXPECT_LT(best, 30.0);
}

TEST(TokenizerCorpus, OneMegabyteMatchesLlamaCppGpt2) {
  std::string error;
  const Tokenizer* tok = testing::shared_tokenizer("tokenizers/gguf/ggml-vocab-gpt-2.gguf", &error);
  ASSERT_NE(tok, nullptr) << error;
  const std::string text = testing::read_file(testing::shared_path("perf/corpus-1mb.txt"));
  const std::string ids_json = testing::read_file(testing::shared_path("perf/corpus-1mb.gpt-2.ids.json"));
  ASSERT_FALSE(text.empty());
  ASSERT_FALSE(ids_json.empty());
  const auto expected = nlohmann::json::parse(ids_json).get<std::vector<Token>>();

  // gpt-2 adds no BOS; the corpus has no special-token text.
  double best = 1e9;
  std::vector<Token> ids;
  for (int rep = 0; rep < 5; ++rep) {
    const auto start = std::chrono::steady_clock::now();
    ids = tok->encode(text, {.add_special = true, .parse_special = true});
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::printf("corpus-1mb gpt-2: %zu tokens, best of 5 %.3f s (%.2f MB/s; llama.cpp 0.31 s)\n", ids.size(), best,
              static_cast<double>(text.size()) / 1e6 / best);

  ASSERT_EQ(ids.size(), expected.size());
  const auto diff = std::mismatch(ids.begin(), ids.end(), expected.begin());
  EXPECT_TRUE(diff.first == ids.end()) << "first difference at token " << (diff.first - ids.begin());
  EXPECT_EQ(tok->decode(ids), text);
  EXPECT_LT(best, 30.0);
}

}  // namespace
}  // namespace minerva
