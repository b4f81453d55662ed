// tokenizer.json conformance: every case of shared/tokenizers/hf/*/expected.json (ids from HF transformers.js,
// add_special_tokens true and false, and the decoded text), plus decode(encode(x)) == x.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tokenizer_fixtures.h"

namespace minerva {
namespace {

constexpr const char* kFamilies[] = {"gpt2",     "llama2", "mistral-v0.1", "phi-2",      "phi-3",
                                     "llama3.1", "qwen3",  "gemma",        "deepseek-v3"};

const Tokenizer* hf_tokenizer(const std::string& family, std::string* error) {
  static std::mutex mu;
  static std::map<std::string, Result<Tokenizer>> cache;
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache.find(family);
  if (it == cache.end()) {
    it = cache.emplace(family, Tokenizer::from_hf(testing::shared_path("tokenizers/hf/" + family))).first;
  }
  if (!it->second.ok()) {
    *error = it->second.error().message;
    return nullptr;
  }
  return &it->second.value();
}

class HfVectors : public ::testing::TestWithParam<const char*> {};

TEST_P(HfVectors, EncodeAndDecodeMatchReference) {
  const std::string family = GetParam();
  std::string error;
  const Tokenizer* tok = hf_tokenizer(family, &error);
  ASSERT_NE(tok, nullptr) << error;
  EXPECT_TRUE(tok->is_hf());
  const auto cases =
      nlohmann::json::parse(testing::read_file(testing::shared_path("tokenizers/hf/" + family + "/expected.json")));
  ASSERT_TRUE(cases.is_array());
  ASSERT_FALSE(cases.empty());
  size_t ids_ok = 0, decoded_ok = 0;
  for (const auto& c : cases) {
    const auto text = c.at("text").get<std::string>();
    const bool add_special = c.at("add_special_tokens").get<bool>();
    const auto want = c.at("ids").get<std::vector<Token>>();
    const std::vector<Token> got = tok->encode(text, {.add_special = add_special, .parse_special = true});
    EXPECT_EQ(got, want) << family << " add_special=" << add_special << " text: " << testing::escape_bytes(text);
    ids_ok += got == want ? 1 : 0;
    std::string decoded = tok->decode(want, /*render_special=*/true);
    if (tok->clean_up_spaces()) decoded = hf_clean_up_spaces(decoded);
    const auto want_decoded = c.at("decoded").get<std::string>();
    EXPECT_EQ(testing::escape_bytes(decoded), testing::escape_bytes(want_decoded))
        << family << " add_special=" << add_special;
    decoded_ok += decoded == want_decoded ? 1 : 0;
  }
  std::printf("%s: ids %zu/%zu, decoded %zu/%zu\n", family.c_str(), ids_ok, cases.size(), decoded_ok, cases.size());
}

INSTANTIATE_TEST_SUITE_P(Families, HfVectors, ::testing::ValuesIn(kFamilies), [](const auto& info) {
  std::string name = info.param;
  for (char& ch : name) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return name;
});

}  // namespace
}  // namespace minerva

namespace minerva {
namespace {

// The same vocabs from their tokenizer.json (hf/gpt2 = GPT-2, hf/llama2 = Llama-2's SPM vocab as a BPE with byte
// fallback) give llama.cpp's ids for the whole 1 MB corpus: an independent pipeline reaching the same ids.
void expect_corpus(const std::string& family, const std::string& ids_file) {
  std::string error;
  const Tokenizer* tok = hf_tokenizer(family, &error);
  ASSERT_NE(tok, nullptr) << error;
  const std::string text = testing::read_file(testing::shared_path("perf/corpus-1mb.txt"));
  const std::string ids_json = testing::read_file(testing::shared_path("perf/" + ids_file));
  ASSERT_FALSE(text.empty());
  ASSERT_FALSE(ids_json.empty());
  const auto expected = nlohmann::json::parse(ids_json).get<std::vector<Token>>();
  const std::vector<Token> ids = tok->encode(text, {.add_special = true, .parse_special = true});
  ASSERT_EQ(ids.size(), expected.size());
  const auto diff = std::mismatch(ids.begin(), ids.end(), expected.begin());
  EXPECT_TRUE(diff.first == ids.end()) << "first difference at token " << (diff.first - ids.begin());
  EXPECT_TRUE(tok->decode(ids) == text) << family << ": decode differs from the corpus";
}

TEST(HfCorpus, Gpt2MatchesLlamaCpp) { expect_corpus("gpt2", "corpus-1mb.gpt-2.ids.json"); }
TEST(HfCorpus, Llama2MatchesLlamaCppSpm) { expect_corpus("llama2", "corpus-1mb.llama-spm.ids.json"); }

}  // namespace
}  // namespace minerva
