// Vocab loading from hand-built GGUF metadata: defaults, llama.cpp's fix-ups, and hostile metadata that must
// fail with an error naming the file and the key (never crash).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "gguf_bytes.h"
#include "tokenizer_fixtures.h"

namespace minerva {
namespace {

using testing::GgufBytes;

// A tiny SPM vocab: <unk> <s> </s>, then whatever a test adds. Token types follow GGUF (1 normal, 3 control...).
struct MiniVocab {
  std::vector<std::string> tokens = {"<unk>", "<s>", "</s>"};
  std::vector<float> scores = {0, 0, 0};
  std::vector<int32_t> types = {2, 3, 3};

  Token add(const std::string& text, float score = 0, int32_t type = 1) {
    tokens.push_back(text);
    scores.push_back(score);
    types.push_back(type);
    return static_cast<Token>(tokens.size() - 1);
  }
  void add_bytes() {
    static constexpr char kHex[] = "0123456789ABCDEF";
    for (int b = 0; b < 256; ++b) add(std::string("<0x") + kHex[b >> 4] + kHex[b & 15] + ">", 0, 6);
  }
  GgufBytes gguf(std::string_view model = "llama") const {
    GgufBytes g;
    g.str("general.architecture", "llama").str("tokenizer.ggml.model", model);
    g.str_array("tokenizer.ggml.tokens", tokens).f32_array("tokenizer.ggml.scores", scores);
    g.i32_array("tokenizer.ggml.token_type", types);
    return g;
  }
};

Result<Vocab> load_vocab(const GgufBytes& g) {
  const std::vector<uint8_t> bytes = g.bytes();
  MINERVA_TRY(GgufFile file, GgufFile::parse(bytes, "test.gguf"));
  return Vocab::from_gguf(file);
}

Result<Tokenizer> load_tokenizer(const GgufBytes& g) { return testing::tokenizer_from_bytes(g.bytes()); }

// The error names the file and the key.
void expect_error(const Error& e, std::string_view key) {
  EXPECT_NE(e.message.find("test.gguf"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find(key), std::string::npos) << e.message;
}

TEST(VocabMetadata, SpmDefaultsWhenKeysAbsent) {
  MiniVocab m;
  m.add(
      "\xE2\x96\x81"
      "a",
      -1);
  auto v = load_vocab(m.gguf());
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_EQ(v->size(), 4u);
  EXPECT_EQ(v->model(), "llama");
  EXPECT_EQ(v->bos(), 1);
  EXPECT_EQ(v->eos(), 2);
  EXPECT_EQ(v->unk(), 0);
  EXPECT_TRUE(v->add_bos());
  EXPECT_FALSE(v->add_eos());
  EXPECT_TRUE(v->add_space_prefix());
  EXPECT_TRUE(v->is_eog(2));
  EXPECT_EQ(v->find("\xE2\x96\x81"
                    "a"),
            3);
  EXPECT_EQ(v->find("zz"), -1);
  EXPECT_EQ(v->score(3), -1.0f);
  EXPECT_EQ(v->text(3),
            "\xE2\x96\x81"
            "a");
}

TEST(VocabMetadata, ExplicitKeysOverrideDefaults) {
  MiniVocab m;
  const Token a = m.add("a");
  auto g = m.gguf();
  g.u32("tokenizer.ggml.bos_token_id", static_cast<uint32_t>(a)).u32("tokenizer.ggml.eos_token_id", 1);
  g.boolean("tokenizer.ggml.add_bos_token", false).boolean("tokenizer.ggml.add_eos_token", true);
  g.boolean("tokenizer.ggml.add_space_prefix", false);
  auto tok = load_tokenizer(g);
  ASSERT_TRUE(tok.ok()) << tok.error().message;
  EXPECT_EQ(tok->vocab().bos(), a);
  EXPECT_EQ(tok->vocab().eos(), 1);
  EXPECT_FALSE(tok->vocab().add_space_prefix());
  EXPECT_EQ(tok->encode("a", {}), (std::vector<Token>{a, 1}));  // no dummy prefix, EOS appended, no BOS
  EXPECT_EQ(tok->decode(std::vector<Token>{a}), "a");
}

TEST(VocabMetadata, NoneIdsMeanAbsent) {
  MiniVocab m;
  auto g = m.gguf();
  g.u32("tokenizer.ggml.bos_token_id", 0xFFFFFFFFu).i32("tokenizer.ggml.eos_token_id", -1);
  auto tok = load_tokenizer(g);
  ASSERT_TRUE(tok.ok()) << tok.error().message;
  EXPECT_EQ(tok->vocab().bos(), -1);
  EXPECT_EQ(tok->vocab().eos(), -1);
  EXPECT_FALSE(tok->vocab().is_eog(-1));
  EXPECT_TRUE(tok->encode("", {}).empty());  // add_bos is on but there is no BOS to add
}

TEST(VocabMetadata, MissingModelKey) {
  GgufBytes g;
  g.str_array("tokenizer.ggml.tokens", {"a"});
  auto v = load_vocab(g);
  ASSERT_FALSE(v.ok());
  expect_error(v.error(), "tokenizer.ggml.model");
}

TEST(VocabMetadata, UnsupportedModelNamesItAndTheSupportedOnes) {
  MiniVocab m;
  auto tok = load_tokenizer(m.gguf("rwkv"));
  ASSERT_FALSE(tok.ok());
  expect_error(tok.error(), "rwkv");
  EXPECT_NE(tok.error().message.find("llama"), std::string::npos) << tok.error().message;
  EXPECT_NE(tok.error().message.find("gpt2"), std::string::npos) << tok.error().message;
  auto v = load_vocab(m.gguf("rwkv"));  // the vocab itself loads; only the tokenizer refuses it
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_EQ(v->model(), "rwkv");
  EXPECT_FALSE(Tokenizer::from_vocab(*v).ok());
}

TEST(VocabMetadata, BpeWithoutMergesIsAnError) {
  MiniVocab m;
  auto tok = load_tokenizer(m.gguf("gpt2"));
  ASSERT_FALSE(tok.ok());
  expect_error(tok.error(), "tokenizer.ggml.merges");
  auto v = load_vocab(m.gguf("gpt2"));  // the vocab itself loads
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_EQ(v->model(), "gpt2");
  EXPECT_TRUE(v->merges().empty());
}

TEST(VocabMetadata, TokensMissing) {
  GgufBytes g;
  g.str("tokenizer.ggml.model", "llama").f32_array("tokenizer.ggml.scores", {0, 0});
  auto v = load_vocab(g);
  ASSERT_FALSE(v.ok());
  expect_error(v.error(), "tokenizer.ggml.tokens");
}

TEST(VocabMetadata, TokensWrongType) {
  GgufBytes g;
  g.str("tokenizer.ggml.model", "llama").u32("tokenizer.ggml.tokens", 5);
  auto v = load_vocab(g);
  ASSERT_FALSE(v.ok());
  expect_error(v.error(), "tokenizer.ggml.tokens");
}

TEST(VocabMetadata, TokensEmpty) {
  GgufBytes g;
  g.str("tokenizer.ggml.model", "llama").str_array("tokenizer.ggml.tokens", {});
  auto v = load_vocab(g);
  ASSERT_FALSE(v.ok());
  expect_error(v.error(), "tokenizer.ggml.tokens");
}

TEST(VocabMetadata, ScoresLengthMismatch) {
  MiniVocab m;
  m.scores.pop_back();
  auto v = load_vocab(m.gguf());
  ASSERT_FALSE(v.ok());
  expect_error(v.error(), "tokenizer.ggml.scores");
}

TEST(VocabMetadata, ScoresWrongType) {
  GgufBytes g;
  g.str("tokenizer.ggml.model", "llama").str_array("tokenizer.ggml.tokens", {"a", "b"});
  g.str_array("tokenizer.ggml.scores", {"x", "y"});
  auto v = load_vocab(g);
  ASSERT_FALSE(v.ok());
  expect_error(v.error(), "tokenizer.ggml.scores");
}

TEST(VocabMetadata, TokenTypeWrongLength) {
  MiniVocab m;
  m.types.push_back(1);
  auto v = load_vocab(m.gguf());
  ASSERT_FALSE(v.ok());
  expect_error(v.error(), "tokenizer.ggml.token_type");
}

TEST(VocabMetadata, TokenTypeWrongElementType) {
  GgufBytes g;
  g.str("tokenizer.ggml.model", "llama").str_array("tokenizer.ggml.tokens", {"a"});
  g.f32_array("tokenizer.ggml.token_type", {1.0f});
  auto v = load_vocab(g);
  ASSERT_FALSE(v.ok());
  expect_error(v.error(), "tokenizer.ggml.token_type");
}

TEST(VocabMetadata, ScoresAndTypesOptional) {
  GgufBytes g;
  g.str("tokenizer.ggml.model", "llama").str_array("tokenizer.ggml.tokens", {"<unk>", "<s>", "</s>", "a"});
  auto tok = load_tokenizer(g);
  ASSERT_TRUE(tok.ok()) << tok.error().message;
  EXPECT_EQ(tok->vocab().attr(3), TokenAttr::Normal);
  EXPECT_EQ(tok->vocab().score(3), 0.0f);
}

TEST(VocabMetadata, UnknownTokenTypeValuesAreUndefined) {
  MiniVocab m;
  const Token weird = m.add("w", 0, 99);
  const Token zero = m.add("z", 0, 0);
  const Token neg = m.add("n", 0, -5);
  auto tok = load_tokenizer(m.gguf());
  ASSERT_TRUE(tok.ok()) << tok.error().message;
  for (Token t : {weird, zero, neg}) {
    EXPECT_EQ(tok->vocab().attr(t), TokenAttr::Undefined);
    EXPECT_EQ(tok->token_to_piece(t, true), "");
  }
}

TEST(VocabMetadata, BosOutOfRange) {
  MiniVocab m;
  auto g = m.gguf();
  g.u32("tokenizer.ggml.bos_token_id", 9999);
  auto v = load_vocab(g);
  ASSERT_FALSE(v.ok());
  expect_error(v.error(), "tokenizer.ggml.bos_token_id");
}

TEST(VocabMetadata, EosWrongType) {
  MiniVocab m;
  auto g = m.gguf();
  g.str("tokenizer.ggml.eos_token_id", "2");
  auto v = load_vocab(g);
  ASSERT_FALSE(v.ok());
  expect_error(v.error(), "tokenizer.ggml.eos_token_id");
}

TEST(VocabMetadata, AddBosWrongType) {
  MiniVocab m;
  auto g = m.gguf();
  g.u32("tokenizer.ggml.add_bos_token", 1);
  auto v = load_vocab(g);
  ASSERT_FALSE(v.ok());
  expect_error(v.error(), "tokenizer.ggml.add_bos_token");
}

TEST(VocabMetadata, NanScoresDoNotBreakMerging) {
  MiniVocab m;
  m.add_bytes();
  m.add("a", std::numeric_limits<float>::quiet_NaN());
  m.add("aa", std::numeric_limits<float>::quiet_NaN());
  m.add("\xE2\x96\x81", -1);
  auto tok = load_tokenizer(m.gguf());
  ASSERT_TRUE(tok.ok()) << tok.error().message;
  const std::string text(1000, 'a');
  EXPECT_EQ(tok->decode(tok->encode(text, {.add_special = false})), text);
}

TEST(VocabMetadata, DuplicateTextLastIdWins) {
  MiniVocab m;
  m.add("x");
  const Token second = m.add("x");
  auto v = load_vocab(m.gguf());
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_EQ(v->find("x"), second);
}

TEST(VocabMetadata, EmptyTokenTextIsHarmless) {
  MiniVocab m;
  m.add("", 0, 3);  // an empty Control token must not match everywhere
  m.add("", 0, 4);
  m.add("\xE2\x96\x81");
  m.add_bytes();
  auto tok = load_tokenizer(m.gguf());
  ASSERT_TRUE(tok.ok()) << tok.error().message;
  EXPECT_EQ(tok->vocab().find(""), -1);
  EXPECT_EQ(tok->decode(tok->encode("hello", {})), " hello");  // BOS first keeps the dummy space
}

TEST(VocabMetadata, NoByteTokensAndNoUnkDropsUnknownCharacters) {
  GgufBytes g;
  g.str("tokenizer.ggml.model", "llama").str_array("tokenizer.ggml.tokens", {"a", "b", "\xE2\x96\x81"});
  g.u32("tokenizer.ggml.bos_token_id", 0xFFFFFFFFu).u32("tokenizer.ggml.eos_token_id", 0xFFFFFFFFu);
  g.u32("tokenizer.ggml.unknown_token_id", 0xFFFFFFFFu);
  auto tok = load_tokenizer(g);
  ASSERT_TRUE(tok.ok()) << tok.error().message;
  EXPECT_EQ(tok->vocab().byte_token('x'), -1);
  EXPECT_EQ(tok->encode("axb", {}), (std::vector<Token>{2, 0, 1}));
}

TEST(VocabMetadata, ByteFallbackToUnk) {
  MiniVocab m;
  m.add("\xE2\x96\x81");
  auto tok = load_tokenizer(m.gguf());
  ASSERT_TRUE(tok.ok()) << tok.error().message;
  EXPECT_EQ(tok->encode("\xC3\xA9", {.add_special = false}), (std::vector<Token>{3, 0, 0}));  // ▁, unk per byte
}

TEST(VocabMetadata, EogTextsBecomeControlAndEog) {
  MiniVocab m;
  const Token end = m.add("<|end|>", 0, 4);  // user-defined in the file
  const Token im_end = m.add("<|im_end|>", 0, 1);
  auto v = load_vocab(m.gguf());
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_EQ(v->attr(end), TokenAttr::Control);
  EXPECT_EQ(v->attr(im_end), TokenAttr::Control);
  EXPECT_TRUE(v->is_eog(end));
  EXPECT_TRUE(v->is_eog(im_end));
  EXPECT_TRUE(v->is_eog(2));
  EXPECT_EQ(v->eot(), im_end);  // llama.cpp's list order: <|im_end|> before <|end|>
  EXPECT_FALSE(v->is_eog(0));
}

TEST(VocabMetadata, EotKeyWins) {
  MiniVocab m;
  const Token end = m.add("<|end|>", 0, 3);
  const Token turn = m.add("<turn>", 0, 3);
  auto g = m.gguf();
  g.u32("tokenizer.ggml.eot_token_id", static_cast<uint32_t>(turn));
  auto v = load_vocab(g);
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_EQ(v->eot(), turn);
  EXPECT_TRUE(v->is_eog(turn));
  EXPECT_TRUE(v->is_eog(end));
}

TEST(VocabMetadata, DefaultVocabAndTokenizerAreEmptyAndSafe) {
  const Tokenizer tok;
  EXPECT_EQ(tok.vocab().size(), 0u);
  EXPECT_TRUE(tok.encode("hello", {}).empty());
  EXPECT_EQ(tok.decode(std::vector<Token>{0, 1, -1}), "");
  EXPECT_EQ(tok.vocab().text(0), "");
  EXPECT_FALSE(tok.vocab().is_eog(0));
}

TEST(VocabMetadata, VocabOutlivesItsFile) {
  MiniVocab m;
  m.add("hello");
  Result<Vocab> v = make_error("unset");
  {
    const std::vector<uint8_t> bytes = m.gguf().bytes();
    auto file = GgufFile::parse(bytes, "test.gguf");
    ASSERT_TRUE(file.ok()) << file.error().message;
    v = Vocab::from_gguf(*file);
  }
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_EQ(v->text(3), "hello");
  EXPECT_EQ(v->find("hello"), 3);
}

}  // namespace
}  // namespace minerva
