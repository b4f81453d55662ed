// Hostile input for the GGUF vocabs: invalid UTF-8, every byte value, huge texts without spaces, ids out of
// range, threads. One suite parameterized over the vocab files (SPM, byte-level BPE, WordPiece); the lossless
// ones must round-trip through byte fallback, and long inputs must stay fast. SPM-specific cases follow.
#include <gtest/gtest.h>
#include <time.h>

#include <chrono>
#include <limits>
#include <thread>

#include "tokenizer_fixtures.h"

namespace minerva {
namespace {

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Limits are on this thread's CPU time, so a loaded machine (parallel builds, ctest -j) does not make them flaky.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr double kOneMegabyteLimit = 20.0;  // sanitizers slow everything down ~10x
#else
constexpr double kOneMegabyteLimit = 1.0;
#endif

struct HostileVocab {
  const char* file;  // under tokenizers/gguf/
  bool lossless;     // decode(encode(x)) == x for any bytes (WordPiece drops case, accents, controls)
};

void PrintTo(const HostileVocab& v, std::ostream* os) { *os << v.file; }

class TokenizerHostileVocab : public ::testing::TestWithParam<HostileVocab> {
 protected:
  void SetUp() override {
    std::string error;
    tok_ = testing::shared_tokenizer(std::string("tokenizers/gguf/") + GetParam().file, &error);
    ASSERT_NE(tok_, nullptr) << error;
  }

  // Encodes with every flag combination; all ids must be valid and, for lossless vocabs, decode back to the
  // input (SPM: a BOS keeps the dummy-prefix space, as in llama.cpp).
  void expect_round_trip(const std::string& text) const {
    const Vocab& v = tok_->vocab();
    for (bool add_special : {false, true}) {
      for (bool parse_special : {false, true}) {
        const std::vector<Token> ids = tok_->encode(text, {add_special, parse_special});
        for (Token t : ids) ASSERT_TRUE(v.valid(t)) << t;
        if (!GetParam().lossless) continue;
        const bool space = add_special && v.add_bos() && v.bos() >= 0 && v.add_space_prefix() && !text.empty();
        EXPECT_EQ(testing::escape_bytes(tok_->decode(ids)), testing::escape_bytes(space ? " " + text : text))
            << "add_special=" << add_special << " parse_special=" << parse_special;
      }
    }
  }

  // Encodes a long text; only quadratic behaviour can exceed the CPU-time limit.
  void expect_fast(const std::string& text, const char* what) const {
    const auto start = std::chrono::steady_clock::now();
    const double cpu_start = thread_cpu_seconds();
    const std::vector<Token> ids = tok_->encode(text, {.add_special = false, .parse_special = true});
    const double cpu = thread_cpu_seconds() - cpu_start;
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("%s %s: %zu bytes -> %zu tokens in %.3f s (CPU %.3f s)\n", GetParam().file, what, text.size(),
                ids.size(), seconds, cpu);
    EXPECT_LT(cpu, kOneMegabyteLimit) << what;
    if (GetParam().lossless) {
      EXPECT_TRUE(tok_->decode(ids) == text) << what << ": round trip differs";
    }
  }

  const Tokenizer* tok_ = nullptr;
};

TEST_P(TokenizerHostileVocab, InvalidUtf8) {
  for (const std::string s : {"\xFF", "\xFE\xFF", "\xC3", "a\xC3", "\xE2\x82", "\xE2\x82z",
                              "a\x80"
                              "b",
                              "\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xF0\x9F\xA6", "\x80\x80\x80\x80",
                              "\xE0\x80\x80", "\xE2\x96", "\xE2\x96\xE2\x96", " \xFF ", "Hello \xFFworld"}) {
    SCOPED_TRACE(testing::escape_bytes(s));
    expect_round_trip(s);
  }
}

TEST_P(TokenizerHostileVocab, EveryByteValue) {
  std::string all;
  for (int b = 0; b < 256; ++b) {
    const std::string one(1, static_cast<char>(b));
    SCOPED_TRACE(b);
    expect_round_trip(one);
    expect_round_trip("x" + one + "y");
    all += one;
  }
  expect_round_trip(all);
  expect_round_trip(std::string(1000, '\0'));
}

TEST_P(TokenizerHostileVocab, EmptyString) {
  EXPECT_TRUE(tok_->encode("", {.add_special = false, .parse_special = true}).empty());
  EXPECT_EQ(tok_->decode({}), "");
}

TEST_P(TokenizerHostileVocab, OneMegabyteInputs) {
  expect_fast(std::string(1 << 20, 'a'), "1 MiB of 'a'");
  std::string cjk;
  while (cjk.size() < (1u << 20)) cjk += "\xE4\xB8\xAD\xE6\x96\x87";  // 中文
  expect_fast(cjk, "1 MiB of CJK");
  std::string noise(1 << 20, '\0');
  uint32_t state = 12345;
  for (char& c : noise) {
    state = state * 1664525u + 1013904223u;
    c = static_cast<char>(state >> 24);
  }
  expect_fast(noise, "1 MiB of random bytes");
  expect_fast(std::string(1 << 20, ' '), "1 MiB of spaces");
  expect_fast(std::string(1 << 20, '9'), "1 MiB of digits");
  expect_fast(std::string(1 << 20, '!'), "1 MiB of punctuation");
  std::string mixed;
  while (mixed.size() < (1u << 20)) mixed += " \n\t";
  expect_fast(mixed, "1 MiB of mixed whitespace");
  std::string words;
  while (words.size() < (1u << 20)) words += "unbelievably ";
  expect_fast(words, "1 MiB of words");
}

TEST_P(TokenizerHostileVocab, OutOfRangeIdsAreEmpty) {
  const Token n = static_cast<Token>(tok_->vocab().size());
  for (Token t : {Token{-1}, std::numeric_limits<Token>::min(), n, std::numeric_limits<Token>::max()}) {
    EXPECT_EQ(tok_->token_to_piece(t, true), "") << t;
    EXPECT_EQ(tok_->vocab().text(t), "") << t;
    EXPECT_EQ(tok_->vocab().attr(t), TokenAttr::Undefined) << t;
    EXPECT_FALSE(tok_->vocab().is_eog(t)) << t;
    EXPECT_EQ(tok_->decode(std::vector<Token>{t}, true), "") << t;
  }
}

TEST_P(TokenizerHostileVocab, StreamingEqualsDecode) {
  const std::string text =
      "Emoji \xF0\x9F\xA6\x99\xF0\x9F\x98\x80 and CJK \xE4\xB8\xAD\xE6\x96\x87 and \xD0\x9F\xD1\x80\xD0\xB8 done";
  const std::vector<Token> ids = tok_->encode(text, {.add_special = true, .parse_special = false});
  StreamingDetokenizer stream(*tok_);
  std::string out;
  for (Token t : ids) {
    const std::string piece = stream.push(t);
    EXPECT_TRUE(testing::is_valid_utf8(piece)) << testing::escape_bytes(piece);
    out += piece;
  }
  out += stream.finish();
  EXPECT_EQ(out, tok_->decode(ids));
}

TEST_P(TokenizerHostileVocab, ThreadsGetTheSameIds) {
  const std::string text = testing::read_file(testing::shared_path("tokenizers/gguf/ggml-vocab-gpt-2.gguf.inp"));
  ASSERT_FALSE(text.empty());
  const std::vector<Token> want = tok_->encode(text, {.add_special = false, .parse_special = false});
  std::vector<std::vector<Token>> got(4);
  std::vector<std::thread> threads;
  for (auto& g : got) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20; ++i) g = tok_->encode(text, {.add_special = false, .parse_special = false});
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& g : got) EXPECT_EQ(g, want);
}

INSTANTIATE_TEST_SUITE_P(Vocabs, TokenizerHostileVocab,
                         ::testing::Values(HostileVocab{"ggml-vocab-llama-spm.gguf", true},
                                           HostileVocab{"ggml-vocab-gpt-2.gguf", true},
                                           HostileVocab{"ggml-vocab-bert-bge.gguf", false}),
                         [](const auto& info) {
                           std::string name = info.param.file;
                           name = name.substr(11, name.size() - 16);  // "ggml-vocab-" ... ".gguf"
                           for (char& ch : name) {
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           }
                           return name;
                         });

// ---- SPM-specific (llama-spm) ----------------------------------------------------------------------------------

class TokenizerHostile : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    tok_ = testing::shared_tokenizer("tokenizers/gguf/ggml-vocab-llama-spm.gguf", &error);
    ASSERT_NE(tok_, nullptr) << error;
  }

  const Tokenizer* tok_ = nullptr;
};

TEST_F(TokenizerHostile, LiteralSpaceSymbolDecodesAsSpace) {
  // SPM cannot tell a literal U+2581 from an escaped space (llama.cpp neither): the only lossy input.
  const std::vector<Token> ids = tok_->encode(
      "a\xE2\x96\x81"
      "b",
      {.add_special = false, .parse_special = false});
  EXPECT_EQ(ids, tok_->encode("a b", {.add_special = false, .parse_special = false}));
  EXPECT_EQ(tok_->decode(ids), "a b");
}

TEST_F(TokenizerHostile, BadLeadByteIsASymbolOfItsOwn) {
  // "\xE2" cannot start a character before "ab": it becomes <0xE2> and "ab" still tokenizes as text.
  const std::vector<Token> ids = tok_->encode(
      "x\xE2"
      "ab",
      {.add_special = false, .parse_special = false});
  const std::vector<Token> x = tok_->encode("x", {.add_special = false, .parse_special = false});
  ASSERT_GE(ids.size(), x.size() + 2);
  EXPECT_EQ(ids[x.size()], tok_->vocab().byte_token(0xE2));
  EXPECT_EQ(tok_->decode(ids),
            "x\xE2"
            "ab");
}

TEST_F(TokenizerHostile, EmptyStringGetsOnlyBos) {
  EXPECT_EQ(tok_->encode("", {.add_special = true, .parse_special = true}), (std::vector<Token>{1}));
}

TEST_F(TokenizerHostile, OneMegabyteOfSpecialTokenText) {
  std::string text;
  while (text.size() < (1u << 20)) text += "<s></s><unk>x";
  const auto start = std::chrono::steady_clock::now();
  const auto ids = tok_->encode(text, {.add_special = false, .parse_special = true});
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("1 MiB of special-token text -> %zu tokens in %.3f s\n", ids.size(), seconds);
  EXPECT_LT(seconds, 20.0);
  ASSERT_GE(ids.size(), 4u);
  EXPECT_EQ(std::vector<Token>(ids.begin(), ids.begin() + 3), (std::vector<Token>{1, 2, 0}));
  EXPECT_EQ(tok_->decode(ids, /*render_special=*/true).substr(0, 14), "<s></s><unk> x");
}

TEST_F(TokenizerHostile, OutOfRangeIdsAreSkipped) {
  const Token n = static_cast<Token>(tok_->vocab().size());
  const std::vector<Token> bad = {-1, std::numeric_limits<Token>::min(), n, std::numeric_limits<Token>::max()};
  std::vector<Token> mixed = {15043};
  mixed.insert(mixed.end(), bad.begin(), bad.end());
  mixed.push_back(3186);
  EXPECT_EQ(tok_->decode(mixed, true), "Hello world");  // skipped
  StreamingDetokenizer stream(*tok_);
  for (Token t : bad) EXPECT_EQ(stream.push(t), "");
  EXPECT_EQ(stream.push(3186), " world");
}

}  // namespace
}  // namespace minerva
