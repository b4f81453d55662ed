// WordPiece (tokenizer.ggml.model "bert"): BERT normalization and greedy longest-match on a hand-built vocab,
// then the real bge vocab under hostile input.
#include "tokenizer/wpm.h"

#include <gtest/gtest.h>

#include "gguf_bytes.h"
#include "tokenizer_fixtures.h"

namespace minerva {
namespace {

using testing::GgufBytes;

const std::string kW = "\xE2\x96\x81";  // ▁ marks a word-initial piece in GGUF BERT vocabs

struct MiniWpm {
  std::vector<std::string> tokens = {"[PAD]", "[UNK]", "[CLS]", "[SEP]"};
  std::vector<int32_t> types = {3, 3, 3, 3};
  Token add(const std::string& text) {
    tokens.push_back(text);
    types.push_back(1);
    return static_cast<Token>(tokens.size() - 1);
  }
  GgufBytes gguf() const {
    GgufBytes g;
    g.str("general.architecture", "bert").str("tokenizer.ggml.model", "bert").str("tokenizer.ggml.pre", "bert-bge");
    g.str_array("tokenizer.ggml.tokens", tokens).i32_array("tokenizer.ggml.token_type", types);
    g.u32("tokenizer.ggml.unknown_token_id", 1).u32("tokenizer.ggml.cls_token_id", 2);
    g.u32("tokenizer.ggml.seperator_token_id", 3);
    return g;
  }
};

std::vector<Token> plain(const Tokenizer& tok, std::string_view text) {
  return tok.encode(text, {.add_special = false, .parse_special = false});
}

class TokenizerWpm : public ::testing::Test {
 protected:
  void SetUp() override {
    hello = m.add(kW + "hello");
    world = m.add(kW + "world");
    comma = m.add(kW + ",");
    bang = m.add(kW + "!");
    hel = m.add(kW + "hel");
    un = m.add(kW + "un");
    aff = m.add("aff");
    able = m.add("able");
    cafe = m.add(kW + "cafe");
    zhong = m.add(kW + "\xE4\xB8\xAD");  // 中
    auto t = testing::tokenizer_from_bytes(m.gguf().bytes());
    ASSERT_TRUE(t.ok()) << t.error().message;
    tok = std::move(*t);
  }
  MiniWpm m;
  Token hello = -1, world = -1, comma = -1, bang = -1, hel = -1, un = -1, aff = -1, able = -1, cafe = -1, zhong = -1;
  Tokenizer tok;
  static constexpr Token kUnk = 1;
};

TEST_F(TokenizerWpm, LowercaseAndStripAccents) {
  EXPECT_EQ(plain(tok, "Caf\xC3\xA9 HELLO"), (std::vector<Token>{cafe, hello}));    // precomposed é
  EXPECT_EQ(plain(tok, "CAFE\xCC\x81  hello"), (std::vector<Token>{cafe, hello}));  // e + combining acute
}

TEST_F(TokenizerWpm, PunctuationIsAWordOfItsOwn) {
  EXPECT_EQ(plain(tok, "hello,world!"), (std::vector<Token>{hello, comma, world, bang}));
  EXPECT_EQ(plain(tok, " hello ,  world ! "), (std::vector<Token>{hello, comma, world, bang}));
}

TEST_F(TokenizerWpm, GreedyLongestMatchWithContinuations) {
  EXPECT_EQ(plain(tok, "unaffable"), (std::vector<Token>{un, aff, able}));
  EXPECT_EQ(plain(tok, "helx"), (std::vector<Token>{kUnk}));  // a rest that matches nothing: the whole word is unk
  EXPECT_EQ(plain(tok, "helaff hello"), (std::vector<Token>{hel, aff, hello}));
}

TEST_F(TokenizerWpm, ChineseCharactersAreWords) {
  EXPECT_EQ(plain(tok,
                  "\xE4\xB8\xAD\xE4\xB8\xAD"
                  "hello"),
            (std::vector<Token>{zhong, zhong, hello}));
  EXPECT_EQ(plain(tok, "\xE4\xB8\xAD\xE6\x96\x87"), (std::vector<Token>{zhong, kUnk}));  // 文 is not in the vocab
}

TEST_F(TokenizerWpm, ControlAndFormatCharactersVanish) {
  EXPECT_EQ(plain(tok,
                  "hel\x01lo wor\xE2\x80\x8B"
                  "ld"),
            (std::vector<Token>{hello, world}));
  EXPECT_TRUE(plain(tok, "\x01\x02\xEF\xBF\xBD").empty());
  EXPECT_TRUE(plain(tok, " \t\n ").empty());
}

TEST_F(TokenizerWpm, LongWordsAreUnknown) {
  std::string word = "un";
  while (word.size() < wpm::kMaxWordChars) word += "aff";
  word += "able";  // > 100 characters although it would split into known pieces
  EXPECT_EQ(plain(tok, word), (std::vector<Token>{kUnk}));
}

TEST_F(TokenizerWpm, AddSpecialBracketsWithClsAndSep) {
  EXPECT_TRUE(tok.vocab().add_bos());
  EXPECT_TRUE(tok.vocab().add_eos());
  EXPECT_EQ(tok.encode("hello", {}), (std::vector<Token>{2, hello, 3}));
  EXPECT_EQ(tok.decode(plain(tok, "Hello, world!")), " hello , world !");
}

class TokenizerWpmHostile : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    tok_ = testing::shared_tokenizer("tokenizers/gguf/ggml-vocab-bert-bge.gguf", &error);
    ASSERT_NE(tok_, nullptr) << error;
  }
  const Tokenizer* tok_ = nullptr;
};

TEST_F(TokenizerWpmHostile, Metadata) {
  EXPECT_EQ(tok_->vocab().model(), "bert");
  EXPECT_EQ(tok_->vocab().unk(), 100);
  EXPECT_EQ(tok_->vocab().bos(), 101);  // [CLS]
  EXPECT_EQ(tok_->vocab().eos(), 102);  // [SEP]
  EXPECT_EQ(tok_->encode("Hello world", {}), (std::vector<Token>{101, 7592, 2088, 102}));
}

TEST_F(TokenizerWpmHostile, InvalidUtf8IsDroppedLikeControlCharacters) {
  EXPECT_EQ(plain(*tok_,
                  "hello\xFF"
                  "world"),
            plain(*tok_, "helloworld"));
}

}  // namespace
}  // namespace minerva
