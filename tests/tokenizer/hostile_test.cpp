// Hostile input: invalid UTF-8, every byte value, huge texts without spaces, ids out of range. Nothing may
// crash, everything must round-trip through byte fallback, and long inputs must stay fast.
#include <gtest/gtest.h>

#include <chrono>
#include <limits>

#include "tokenizer_fixtures.h"

namespace minerva {
namespace {

class TokenizerHostile : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    tok_ = testing::shared_tokenizer("tokenizers/gguf/ggml-vocab-llama-spm.gguf", &error);
    ASSERT_NE(tok_, nullptr) << error;
  }

  // Encodes with every flag combination; all ids must be valid and decode back to the input.
  void expect_round_trip(const std::string& text) const {
    for (bool add_special : {false, true}) {
      for (bool parse_special : {false, true}) {
        const std::vector<Token> ids = tok_->encode(text, {add_special, parse_special});
        for (Token t : ids) ASSERT_TRUE(tok_->vocab().valid(t)) << t;
        EXPECT_EQ(testing::escape_bytes(tok_->decode(ids)),
                  testing::escape_bytes(add_special && !text.empty() ? " " + text : text))
            << "add_special=" << add_special << " parse_special=" << parse_special;
      }
    }
  }

  // Encodes a long text under a time limit far above the expected cost, so only quadratic behaviour fails.
  void expect_fast_round_trip(const std::string& text, const char* what) const {
    const auto start = std::chrono::steady_clock::now();
    const std::vector<Token> ids = tok_->encode(text, {.add_special = false, .parse_special = true});
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("%s: %zu bytes -> %zu tokens in %.3f s\n", what, text.size(), ids.size(), seconds);
    EXPECT_LT(seconds, 20.0) << what;
    EXPECT_TRUE(tok_->decode(ids) == text) << what << ": round trip differs";
  }

  const Tokenizer* tok_ = nullptr;
};

TEST_F(TokenizerHostile, InvalidUtf8) {
  for (const std::string s : {"\xFF", "\xFE\xFF", "\xC3", "a\xC3", "\xE2\x82", "\xE2\x82z",
                              "a\x80"
                              "b",
                              "\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xF0\x9F\xA6", "\x80\x80\x80\x80",
                              "\xE2\x96", "\xE2\x96\xE2\x96"}) {
    SCOPED_TRACE(testing::escape_bytes(s));
    expect_round_trip(s);
  }
}

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

TEST_F(TokenizerHostile, EmptyString) {
  EXPECT_EQ(tok_->encode("", {.add_special = true, .parse_special = true}), (std::vector<Token>{1}));
  EXPECT_TRUE(tok_->encode("", {.add_special = false, .parse_special = true}).empty());
  EXPECT_EQ(tok_->decode({}), "");
}

TEST_F(TokenizerHostile, EveryByteValue) {
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

TEST_F(TokenizerHostile, OneMegabyteWithoutSpaces) {
  expect_fast_round_trip(std::string(1 << 20, 'a'), "1 MiB of 'a'");
  std::string cjk;
  while (cjk.size() < (1u << 20)) cjk += "\xE4\xB8\xAD\xE6\x96\x87";  // 中文
  expect_fast_round_trip(cjk, "1 MiB of CJK");
  std::string noise(1 << 20, '\0');
  uint32_t state = 12345;
  for (char& c : noise) {
    state = state * 1664525u + 1013904223u;
    c = static_cast<char>(state >> 24);
  }
  expect_fast_round_trip(noise, "1 MiB of random bytes");
  expect_fast_round_trip(std::string(1 << 20, ' '), "1 MiB of spaces");
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

TEST_F(TokenizerHostile, OutOfRangeIds) {
  const Token n = static_cast<Token>(tok_->vocab().size());
  const std::vector<Token> bad = {-1, std::numeric_limits<Token>::min(), n, std::numeric_limits<Token>::max()};
  for (Token t : bad) {
    EXPECT_EQ(tok_->token_to_piece(t, true), "") << t;
    EXPECT_EQ(tok_->vocab().text(t), "") << t;
    EXPECT_EQ(tok_->vocab().attr(t), TokenAttr::Undefined) << t;
    EXPECT_FALSE(tok_->vocab().is_eog(t)) << t;
  }
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
