// Special-token text in the input: parse_special, the dummy prefix after a special token, llama.cpp's
// longest-token-first splitting and Phi-3's whitespace stripping.
#include <gtest/gtest.h>

#include "gguf_bytes.h"
#include "tokenizer_fixtures.h"

namespace minerva {
namespace {

const Tokenizer* load(const char* vocab) {
  std::string error;
  const Tokenizer* tok = testing::shared_tokenizer(std::string("tokenizers/gguf/") + vocab, &error);
  EXPECT_NE(tok, nullptr) << error;
  return tok;
}

std::vector<Token> concat(std::initializer_list<std::vector<Token>> parts) {
  std::vector<Token> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

constexpr TokenizeOptions kParse{.add_special = false, .parse_special = true};
constexpr TokenizeOptions kPlain{.add_special = false, .parse_special = false};

TEST(TokenizerSpecial, ParseSpecialSplitsControlTokens) {
  const Tokenizer* tok = load("ggml-vocab-llama-spm.gguf");
  if (tok == nullptr) return;
  EXPECT_EQ(tok->encode("<s>Hello", kParse), (std::vector<Token>{1, 15043}));  // "▁Hello" after <s>
  EXPECT_EQ(tok->encode("Hello</s>", kParse), (std::vector<Token>{15043, 2}));
  EXPECT_EQ(tok->encode("<unk>", kParse), (std::vector<Token>{0}));
  EXPECT_EQ(tok->encode("<s>", {.add_special = true, .parse_special = true}), (std::vector<Token>{1, 1}));
  // Each raw fragment after a special token gets its own dummy prefix.
  EXPECT_EQ(tok->encode(" <s> x</s>y", kParse),
            concat({tok->encode(" ", kPlain), {1}, tok->encode(" x", kPlain), {2}, tok->encode("y", kPlain)}));
}

TEST(TokenizerSpecial, WithoutParseSpecialControlTextIsPlainText) {
  const Tokenizer* tok = load("ggml-vocab-llama-spm.gguf");
  if (tok == nullptr) return;
  const std::vector<Token> ids = tok->encode("<s>Hello</s>", kPlain);
  for (Token t : ids) EXPECT_TRUE(t != 1 && t != 2) << t;
  EXPECT_EQ(tok->decode(ids), "<s>Hello</s>");
}

TEST(TokenizerSpecial, DecodeRendersSpecialOnRequest) {
  const Tokenizer* tok = load("ggml-vocab-llama-spm.gguf");
  if (tok == nullptr) return;
  const std::vector<Token> ids = {1, 15043, 3186, 2};  // <s> ▁Hello ▁world </s>
  EXPECT_EQ(tok->decode(ids), " Hello world");
  EXPECT_EQ(tok->decode(ids, /*render_special=*/true), "<s> Hello world</s>");
  EXPECT_EQ(tok->decode(std::vector<Token>{15043, 3186}), "Hello world");
  EXPECT_EQ(tok->token_to_piece(2, true), "</s>");
  EXPECT_EQ(tok->token_to_piece(13), "\n");  // <0x0A>
}

TEST(TokenizerSpecial, Phi3StripsWhitespaceAfterChatTokensLikeLlamaCpp) {
  const Tokenizer* tok = load("ggml-vocab-phi-3.gguf");
  if (tok == nullptr) return;
  // llama.cpp's output for this chat turn: its general.name-keyed RSTRIP drops the "\n" after <|user|>,
  // <|end|> and <|assistant|>, and "SYS" then gets the dummy prefix.
  EXPECT_EQ(tok->encode("<|user|>\nSYS\nHI<|end|>\n<|assistant|>\n", {.add_special = true, .parse_special = true}),
            (std::vector<Token>{1, 32010, 317, 21554, 13, 17628, 32007, 32001}));
  EXPECT_TRUE(tok->vocab().strips_right(32010));
  EXPECT_FALSE(tok->vocab().strips_right(1));      // <s>
  EXPECT_FALSE(tok->vocab().strips_right(32000));  // <|endoftext|>
  // <s> is exempt: the newline after it stays.
  EXPECT_EQ(tok->encode("<s>\nA", kParse), concat({{1}, tok->encode("\nA", kPlain)}));
}

TEST(TokenizerSpecial, Phi3EndOfGeneration) {
  const Tokenizer* tok = load("ggml-vocab-phi-3.gguf");
  if (tok == nullptr) return;
  const Vocab& v = tok->vocab();
  EXPECT_EQ(v.eos(), 32000);
  EXPECT_EQ(v.eot(), 32007);
  EXPECT_TRUE(v.is_eog(32000));
  EXPECT_TRUE(v.is_eog(32007));
  EXPECT_FALSE(v.is_eog(32001));
  EXPECT_EQ(v.attr(2), TokenAttr::Control);  // </s> is user-defined in the file; llama.cpp forces Control
  EXPECT_EQ(tok->decode(std::vector<Token>{32010, 15043, 32007}), " Hello");
}

// A tiny vocab to pin down the splitting rules exactly.
struct Mini {
  Tokenizer tok;
  Token ab = -1, bcd = -1, user = -1, x = -1;
};

Mini mini() {
  testing::GgufBytes g;
  std::vector<std::string> tokens = {"<unk>", "<s>", "</s>", "\xE2\x96\x81", "a",   "b",
                                     "c",     "d",   "ab",   "bcd",          "<u>", "x"};
  std::vector<int32_t> types = {2, 3, 3, 1, 1, 1, 1, 1, 3, 3, 4, 1};
  g.str("tokenizer.ggml.model", "llama").str_array("tokenizer.ggml.tokens", tokens);
  g.i32_array("tokenizer.ggml.token_type", types);
  g.boolean("tokenizer.ggml.add_space_prefix", false);
  auto tok = testing::tokenizer_from_bytes(g.bytes());
  EXPECT_TRUE(tok.ok()) << tok.error().message;
  return tok.ok() ? Mini{*tok, 8, 9, 10, 11} : Mini{};
}

TEST(TokenizerSpecial, LongestTokenFirstAcrossTheWholeText) {
  const Mini m = mini();
  // llama.cpp splits out the longest special token everywhere before shorter ones: "bcd" wins over "ab".
  EXPECT_EQ(m.tok.encode("abcd", kParse), (std::vector<Token>{4, m.bcd}));
  EXPECT_EQ(m.tok.encode("abab", kParse), (std::vector<Token>{m.ab, m.ab}));
  EXPECT_EQ(m.tok.encode("abcdab", kParse), (std::vector<Token>{4, m.bcd, m.ab}));
}

TEST(TokenizerSpecial, UserDefinedTokensSplitEvenWithoutParseSpecial) {
  const Mini m = mini();
  EXPECT_EQ(m.tok.encode("x<u>x", kPlain), (std::vector<Token>{m.x, m.user, m.x}));
  EXPECT_EQ(m.tok.encode("bcd", kPlain), (std::vector<Token>{5, 6, 7}));  // Control "bcd" is plain text here
  EXPECT_EQ(m.tok.decode(std::vector<Token>{m.user, m.ab}), "<u>");       // user-defined always rendered
}

}  // namespace
}  // namespace minerva
