// tokenizer.json hostile input: malformed files must fail with an error naming the JSON path; every byte value,
// invalid UTF-8 and megabyte-long inputs must encode without crashing, quickly, and decode back.
#include <gtest/gtest.h>
#include <time.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "tokenizer_fixtures.h"

namespace minerva {
namespace {

struct BadFile {
  const char* json;
  const char* expect;  // substring of the error
};

constexpr const char* kOkModel = R"("model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b"]})";

std::string with_model(const std::string& rest) {
  return std::string("{") + kOkModel + (rest.empty() ? "" : ", " + rest) + "}";
}

TEST(HfHostile, MalformedFilesNameTheField) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"{", "not valid JSON"},
      {"[]", "top level is an array"},
      {"{}", "'model' is missing"},
      {R"({"model": 5})", "'model' is an integer, expected an object"},
      {R"({"model": {"type": "Magic"}})", "'model.type' is 'Magic'"},
      {R"({"model": {"type": "BPE", "vocab": [], "merges": []}})", "'model.vocab' is an array"},
      {R"({"model": {"type": "BPE", "vocab": {"a": -1}, "merges": []}})", "'model.vocab[\"a\"]' is -1, outside"},
      {R"({"model": {"type": "BPE", "vocab": {"a": 99999999999}, "merges": []}})",
       "'model.vocab[\"a\"]' is 99999999999"},
      {R"({"model": {"type": "BPE", "vocab": {"a": "1"}, "merges": []}})", "expected a token id"},
      {R"({"model": {"type": "BPE", "vocab": {"a": 16000000}, "merges": []}})",
       "'model.vocab' uses id 16000000 with only 1 tokens"},
      {with_model(R"("added_tokens": [{"id": 9000000, "content": "x"}])"), "'added_tokens' uses id 9000000"},
      {R"({"model": {"type": "BPE", "vocab": {"a": 0, "b": 0}, "merges": []}})", "gives id 0 to both"},
      {R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": 3}})", "'model.merges' is an integer"},
      {R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [5]}})", "'model.merges[0]' is an integer"},
      {R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["ab"]}})", "'model.merges[0]' is \"ab\""},
      {R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [], "dropout": 0.1}})", "'model.dropout'"},
      {R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [], "unk_token": "<unk>"}})", "'model.unk_token'"},
      {R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [], "byte_fallback": "yes"}})",
       "'model.byte_fallback' is a string, expected a boolean"},
      {R"({"model": {"type": "WordPiece", "vocab": {"a": 0}}})", "'model.unk_token' is missing"},
      {R"({"model": {"type": "Unigram", "vocab": [["a", -1], ["b"]]}})", "'model.vocab[1]'"},
      {R"({"model": {"type": "Unigram", "vocab": [["a", -1]], "unk_id": 7}})", "'model.unk_id' is 7"},
      {with_model(R"("pre_tokenizer": {"type": "Split", "pattern": {"Regex": "(ab"}, "behavior": "Isolated"})"),
       "'pre_tokenizer.pattern.Regex' regex /(ab/ does not compile"},
      {with_model(R"("pre_tokenizer": {"type": "Split", "pattern": {"Regex": "a"}, "behavior": "Sideways"})"),
       "'pre_tokenizer.behavior' is 'Sideways'"},
      {with_model(R"("pre_tokenizer": {"type": "Split", "pattern": {"Glob": "a"}, "behavior": "Isolated"})"),
       "'pre_tokenizer.pattern' has neither"},
      {with_model(
           R"("pre_tokenizer": {"type": "Sequence", "pretokenizers": [{"type": "Whitespace"}, {"type": "Zap"}]})"),
       "'pre_tokenizer.pretokenizers[1].type' is 'Zap'"},
      {with_model(R"("pre_tokenizer": {"type": "Metaspace", "replacement": ""})"), "'pre_tokenizer.replacement'"},
      {with_model(R"("pre_tokenizer": {"type": "Metaspace", "prepend_scheme": "sometimes"})"),
       "'pre_tokenizer.prepend_scheme' is 'sometimes'"},
      {with_model(R"("pre_tokenizer": [1])"), "'pre_tokenizer' is an array, expected an object"},
      {with_model(R"("normalizer": {"type": "Precompiled"})"), "'normalizer.type' is 'Precompiled'"},
      {with_model(R"("normalizer": {"type": "Sequence", "normalizers": {}})"), "'normalizer.normalizers' is an object"},
      {with_model(R"("normalizer": {"type": "Replace", "pattern": {"String": ""}, "content": "x"})"),
       "'normalizer.pattern.String' is empty"},
      {with_model(R"("normalizer": {"type": "Prepend"})"), "'normalizer.prepend' is missing"},
      {with_model(R"("added_tokens": [{"id": -5, "content": "x"}])"), "'added_tokens[0].id' is -5"},
      {with_model(R"("added_tokens": [{"id": 3}])"), "'added_tokens[0].content' is missing"},
      {with_model(R"("added_tokens": [{"id": 3, "content": ""}])"), "'added_tokens[0].content' is empty"},
      {with_model(R"("added_tokens": {"id": 3})"), "'added_tokens' is an object"},
      {with_model(
           R"("post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "[X]"}}], "special_tokens": {}})"),
       "'post_processor.single[0].SpecialToken.id' '[X]' is not in post_processor.special_tokens"},
      {with_model(
           R"("post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "X"}}], "special_tokens": {"X": {"ids": [70000]}}})"),
       "'post_processor.special_tokens.X.ids[0]' is 70000"},
      {with_model(R"("post_processor": {"type": "BertProcessing", "sep": ["[SEP]"], "cls": ["[CLS]", 0]})"),
       "'post_processor.sep'"},
      {with_model(R"("post_processor": {"type": "BertProcessing", "sep": ["[SEP]", 1], "cls": ["[CLS]", 9]})"),
       "'post_processor.cls' has id 9"},
      {with_model(R"("decoder": {"type": "CTC"})"), "'decoder.type' is 'CTC'"},
      {with_model(R"("decoder": {"type": "Strip", "content": "ab", "start": 1, "stop": 0})"), "'decoder.content'"},
      {with_model(R"("decoder": {"type": "Sequence", "decoders": [{"type": "Fuse"}, 7]})"),
       "'decoder.decoders[1]' is an integer"},
  };
  for (const auto& [text, expect] : cases) {
    auto tok = Tokenizer::from_hf_json(text);
    ASSERT_FALSE(tok.ok()) << text;
    EXPECT_NE(tok.error().message.find(expect), std::string::npos)
        << "json: " << text << "\nerror: " << tok.error().message << "\nexpected to contain: " << expect;
  }
  auto bad_config = Tokenizer::from_hf_json(with_model(""), "{\"clean_up_tokenization_spaces\": 1}");
  ASSERT_FALSE(bad_config.ok());
  EXPECT_NE(bad_config.error().message.find("clean_up_tokenization_spaces"), std::string::npos);
  auto not_json = Tokenizer::from_hf_json(with_model(""), "{nope");
  ASSERT_FALSE(not_json.ok());
  EXPECT_NE(not_json.error().message.find("tokenizer_config.json: not valid JSON"), std::string::npos);
  auto missing = Tokenizer::from_hf("/nonexistent/dir");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("/nonexistent/dir: cannot open"), std::string::npos);
}

TEST(HfHostile, DuplicateAndUnusableMergesFollowHf) {
  // Duplicate merges: the last rank wins, as HF's merge map insert does ("a b" ends up below "b c").
  const char* dup = R"({"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "c": 2, "ab": 3, "bc": 4},
                        "merges": ["a b", "b c", "a b"]}})";
  auto tok = Tokenizer::from_hf_json(dup);
  ASSERT_TRUE(tok.ok()) << tok.error().message;
  EXPECT_EQ(tok->encode("abc", {.add_special = false, .parse_special = true}), (std::vector<Token>{0, 4}));
  // Merges over strings that are not tokens are skipped (real files have them), never followed.
  auto skip = Tokenizer::from_hf_json(
      R"({"model": {"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": ["a b", "x y", "a  b"]}})");
  ASSERT_TRUE(skip.ok()) << skip.error().message;
  EXPECT_EQ(skip->encode("ab", {.add_special = false, .parse_special = true}), (std::vector<Token>{0, 1}));
}

constexpr const char* kFamilies[] = {"gpt2",     "llama2", "mistral-v0.1", "phi-2",      "phi-3",
                                     "llama3.1", "qwen3",  "gemma",        "deepseek-v3"};

const Tokenizer& family(const std::string& name) {
  static std::mutex mu;
  static std::map<std::string, Tokenizer> cache;
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache.find(name);
  if (it == cache.end()) {
    auto tok = Tokenizer::from_hf(testing::shared_path("tokenizers/hf/" + name));
    EXPECT_TRUE(tok.ok()) << tok.error().message;
    it = cache.emplace(name, tok.ok() ? std::move(tok).value() : Tokenizer()).first;
  }
  return it->second;
}

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// What Python's bytes.decode("utf-8", errors="replace") gives: the text HF actually tokenizes.
std::string replaced(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    size_t n = 1;
    const auto b = static_cast<unsigned char>(s[i]);
    const size_t want = b < 0x80                 ? 1
                        : b >= 0xC2 && b <= 0xDF ? 2
                        : b >= 0xE0 && b <= 0xEF ? 3
                        : b >= 0xF0 && b <= 0xF4 ? 4
                                                 : 0;
    if (want > 0 && testing::is_valid_utf8(s.substr(i, want)) && i + want <= s.size()) {
      out.append(s.substr(i, want));
      i += want;
      continue;
    }
    // Maximal invalid subpart: the lead byte plus continuation bytes that could still have been valid.
    while (want > 1 && i + n < s.size() && n < want &&
           testing::is_valid_utf8(std::string(s.substr(i, n + 1)) + std::string(want - n - 1, '\x80'))) {
      ++n;
    }
    out += "\xEF\xBF\xBD";
    i += n;
  }
  return out;
}

class HfHostileFamily : public ::testing::TestWithParam<const char*> {};

TEST_P(HfHostileFamily, EveryByteValueAndInvalidUtf8RoundTrip) {
  const Tokenizer& tok = family(GetParam());
  ASSERT_TRUE(tok.is_hf());
  std::string all;
  for (int b = 0; b < 256; ++b) all += static_cast<char>(b);
  std::vector<std::string> inputs = {all,
                                     "\xFF",
                                     "a\xC3",
                                     "\xE2\x82z",
                                     "\xC0\xAF",
                                     "\xED\xA0\x80",
                                     "\xF0\x9F\xA6",
                                     "\xF4\x90\x80\x80",
                                     "x\xE2\x96\xE2\x96y",
                                     std::string(1, '\0')};
  for (int b = 0; b < 256; ++b) inputs.emplace_back(1, static_cast<char>(b));
  for (const std::string& s : inputs) {
    const std::vector<Token> ids = tok.encode(s, {.add_special = false, .parse_special = false});
    for (Token t : ids) ASSERT_TRUE(tok.vocab().valid(t)) << t;
    EXPECT_EQ(testing::escape_bytes(tok.decode(ids, true)), testing::escape_bytes(replaced(s))) << GetParam();
    const std::vector<Token> special = tok.encode(s, {.add_special = true, .parse_special = true});
    for (Token t : special) ASSERT_TRUE(tok.vocab().valid(t)) << t;
  }
}

TEST_P(HfHostileFamily, LongInputsStayFast) {
  const Tokenizer& tok = family(GetParam());
  const std::pair<const char*, std::string> inputs[] = {
      {"1 MiB of 'a'", std::string(1 << 20, 'a')},
      {"1 MiB of '!'", std::string(1 << 20, '!')},
      {"100k spaces", std::string(100000, ' ')},
      {"1 MiB of CJK",
       [] {
         std::string s;
         while (s.size() < (1u << 20)) s += "\xE4\xB8\xAD\xE6\x96\x87";
         return s;
       }()},
  };
  for (const auto& [what, text] : inputs) {
    const double start = thread_cpu_seconds();
    const std::vector<Token> ids = tok.encode(text, {.add_special = false, .parse_special = true});
    const double seconds = thread_cpu_seconds() - start;
    std::printf("%s %s: %zu tokens, %.3f s CPU\n", GetParam(), what, ids.size(), seconds);
    EXPECT_LT(seconds, 3.0) << what;  // far above the measured cost: only quadratic behaviour fails
    EXPECT_TRUE(tok.decode(ids, true) == text) << what;
  }
}

TEST_P(HfHostileFamily, ThreadsGetTheSameIds) {
  const Tokenizer& tok = family(GetParam());
  const std::string text = testing::read_file(testing::shared_path("tokenizers/gguf/ggml-vocab-gpt-2.gguf.inp"));
  ASSERT_FALSE(text.empty());
  const std::vector<Token> want = tok.encode(text, {.add_special = true, .parse_special = true});
  std::vector<std::vector<Token>> got(4);
  std::vector<std::thread> threads;
  for (auto& g : got) {
    threads.emplace_back([&] {
      for (int i = 0; i < 5; ++i) g = tok.encode(text, {.add_special = true, .parse_special = true});
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& g : got) EXPECT_EQ(g, want);
}

INSTANTIATE_TEST_SUITE_P(Families, HfHostileFamily, ::testing::ValuesIn(kFamilies), [](const auto& info) {
  std::string name = info.param;
  for (char& ch : name) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return name;
});

}  // namespace
}  // namespace minerva
