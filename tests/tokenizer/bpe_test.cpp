// Byte-level BPE (tokenizer.ggml.model "gpt2"): merge order and pre-tokenizer table on hand-built vocabs, then
// the real gpt-2 / gpt-neox vocabs under hostile input (invalid UTF-8, every byte, megabytes without spaces,
// special-token text, several threads).
#include "tokenizer/bpe.h"

#include <gtest/gtest.h>

#include <sstream>
#include <thread>

#include "gguf_bytes.h"
#include "tokenizer_fixtures.h"

namespace minerva {
namespace {

using testing::GgufBytes;

// A GPT-2 style vocab: the 256 byte code points, then merge results, then <|endoftext|> (Control).
struct MiniBpe {
  std::vector<std::string> tokens;
  std::vector<int32_t> types;
  std::vector<std::string> merges;

  MiniBpe() {
    for (int b = 0; b < 256; ++b) add(std::string(bpe::byte_to_unicode(static_cast<uint8_t>(b))));
  }
  Token add(const std::string& text, int32_t type = 1) {
    tokens.push_back(text);
    types.push_back(type);
    return static_cast<Token>(tokens.size() - 1);
  }
  // Adds "left right" as the next merge (rank = order of calls) and its result as a token.
  Token merge(const std::string& left, const std::string& right) {
    merges.push_back(left + " " + right);
    return add(left + right);
  }
  static Token byte(uint8_t b) { return b; }  // byte b is token b in this vocab
  GgufBytes gguf(std::string_view pre = "gpt-2") const {
    std::vector<std::string> toks = tokens;
    std::vector<int32_t> ty = types;
    toks.emplace_back("<|endoftext|>");
    ty.push_back(3);
    GgufBytes g;
    g.str("general.architecture", "gpt2").str("tokenizer.ggml.model", "gpt2");
    if (!pre.empty()) g.str("tokenizer.ggml.pre", pre);
    g.str_array("tokenizer.ggml.tokens", toks).i32_array("tokenizer.ggml.token_type", ty);
    g.str_array("tokenizer.ggml.merges", merges);
    g.u32("tokenizer.ggml.bos_token_id", static_cast<uint32_t>(toks.size() - 1));
    g.u32("tokenizer.ggml.eos_token_id", static_cast<uint32_t>(toks.size() - 1));
    return g;
  }
};

Result<Tokenizer> load(const GgufBytes& g) { return testing::tokenizer_from_bytes(g.bytes()); }

std::vector<Token> plain(const Tokenizer& tok, std::string_view text) {
  return tok.encode(text, {.add_special = false, .parse_special = false});
}

TEST(TokenizerBpeMerges, LowestRankFirstNotLeftmost) {
  MiniBpe m;
  const Token bc = m.merge("b", "c");
  m.merge("a", "b");
  const Token abc = m.merge("a", "bc");
  auto tok = load(m.gguf());
  ASSERT_TRUE(tok.ok()) << tok.error().message;
  // Left-to-right would give "ab" + "c" (no merge "ab c"); rank order merges "b c" first, then "a bc".
  EXPECT_EQ(plain(*tok, "abc"), (std::vector<Token>{abc}));
  EXPECT_EQ(plain(*tok, "bc"), (std::vector<Token>{bc}));
  EXPECT_EQ(tok->decode(plain(*tok, "abc")), "abc");
}

TEST(TokenizerBpeMerges, TiesGoLeftmostShortAndLongWords) {
  MiniBpe m;
  const Token aa = m.merge("a", "a");
  const Token aaaa = m.merge("aa", "aa");
  auto tok = load(m.gguf());
  ASSERT_TRUE(tok.ok()) << tok.error().message;
  EXPECT_EQ(plain(*tok, "aaa"), (std::vector<Token>{aa, 'a'}));
  EXPECT_EQ(plain(*tok, "aaaaaa"), (std::vector<Token>{aaaa, aa}));
  // Long words take the heap path; the result must be the same shape.
  for (size_t n : {47u, 48u, 49u, 100u, 1001u}) {
    std::vector<Token> want(n / 4, aaaa);
    if (n % 4 >= 2) want.push_back(aa);
    if (n % 2 == 1) want.push_back('a');
    EXPECT_EQ(plain(*tok, std::string(n, 'a')), want) << n;
  }
}

TEST(TokenizerBpeMerges, MergesNeverCrossPreTokenizerPieces) {
  MiniBpe m;
  const std::string space(bpe::byte_to_unicode(' '));
  const Token a_space = m.merge("a", space);
  const Token one_two = m.merge("1", "2");
  auto gpt2 = load(m.gguf("gpt-2"));
  ASSERT_TRUE(gpt2.ok()) << gpt2.error().message;
  EXPECT_EQ(plain(*gpt2, "a b"), (std::vector<Token>{'a', ' ', 'b'}));  // "a" | " b": no "a " token
  EXPECT_EQ(plain(*gpt2, "a "), (std::vector<Token>{'a', ' '}));
  EXPECT_EQ(plain(*gpt2, "12"), (std::vector<Token>{one_two}));
  // deepseek-coder splits every digit on its own.
  auto coder = load(m.gguf("deepseek-coder"));
  ASSERT_TRUE(coder.ok()) << coder.error().message;
  EXPECT_EQ(plain(*coder, "12"), (std::vector<Token>{'1', '2'}));
  (void)a_space;
}

TEST(TokenizerBpeMerges, NextLineIsWhitespaceLikeOniguruma) {
  // U+0085 (C2 85) is White_Space for HF and llama.cpp, not for PCRE2's \s: "NEL NEL a" must split as
  // whitespace, so the two NELs never form one punctuation-like word.
  MiniBpe m;
  const std::string c2(bpe::byte_to_unicode(0xC2)), x85(bpe::byte_to_unicode(0x85));
  const Token nel = m.merge(c2, x85);
  m.merge(c2 + x85, c2 + x85);
  auto tok = load(m.gguf("gpt-2"));
  ASSERT_TRUE(tok.ok()) << tok.error().message;
  EXPECT_EQ(plain(*tok,
                  "\xC2\x85\xC2\x85"
                  "a"),
            (std::vector<Token>{nel, nel, 'a'}));
}

TEST(TokenizerBpePreTokenizers, EveryTableEntryCompilesAndRoundTrips) {
  MiniBpe m;
  m.merge("a", "b");
  m.merge("1", "2");
  const std::string text =
      "Hello world! It's 12345 \xE4\xB8\xAD\xE6\x96\x87 \xD0\x9F\xD1\x80\xD0\xB8 \xF0\x9F\xA6\x99\t\n\n  x  "
      "ab\xE2\x80\xA6 \xC2\x85 I'M you'll \xEF\xBC\x81 \xCE\xA9mega $+<=>^~|` \xFF\xC3";
  std::istringstream names(bpe::supported_pre_tokenizers());
  int count = 0;
  for (std::string name; std::getline(names, name, ',');) {
    if (name.starts_with(' ')) name.erase(0, 1);
    SCOPED_TRACE(name);
    auto tok = load(m.gguf(name));
    ASSERT_TRUE(tok.ok()) << tok.error().message;
    EXPECT_EQ(tok->vocab().pre(), name);
    const std::vector<Token> ids = plain(*tok, text);
    EXPECT_EQ(testing::escape_bytes(tok->decode(ids)), testing::escape_bytes(text));
    ++count;
  }
  EXPECT_GE(count, 30);
  for (std::string_view required :
       {"default", "gpt-2", "llama3", "llama-bpe", "qwen2", "deepseek-llm", "deepseek-coder", "falcon", "mpt",
        "starcoder", "refact", "command-r", "phi-2", "stablelm2", "olmo", "smollm", "codeshell", "tekken"}) {
    EXPECT_NE(bpe::find_pre_tokenizer(required), nullptr) << required;
  }
}

TEST(TokenizerBpePreTokenizers, MissingPreIsDefaultUnknownIsAnError) {
  MiniBpe m;
  auto none = load(m.gguf(""));
  ASSERT_TRUE(none.ok()) << none.error().message;
  EXPECT_EQ(none->vocab().pre(), "");
  EXPECT_EQ(bpe::find_pre_tokenizer(""), bpe::find_pre_tokenizer("default"));

  auto bad = load(m.gguf("no-such-pre"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("no-such-pre"), std::string::npos) << bad.error().message;
  EXPECT_NE(bad.error().message.find("tokenizer.ggml.pre"), std::string::npos) << bad.error().message;
  EXPECT_NE(bad.error().message.find("test.gguf"), std::string::npos) << bad.error().message;
}

TEST(TokenizerBpePreTokenizers, AddBosDefaultsFollowThePreTokenizer) {
  MiniBpe m;
  auto gpt2 = load(m.gguf("gpt-2"));
  ASSERT_TRUE(gpt2.ok());
  EXPECT_FALSE(gpt2->vocab().add_bos());
  EXPECT_EQ(gpt2->encode("ab", {}), plain(*gpt2, "ab"));
  auto llama3 = load(m.gguf("llama-bpe"));
  ASSERT_TRUE(llama3.ok());
  EXPECT_TRUE(llama3->vocab().add_bos());
  const std::vector<Token> ids = llama3->encode("ab", {});
  ASSERT_FALSE(ids.empty());
  EXPECT_EQ(ids[0], llama3->vocab().bos());
  // The key wins over the default.
  GgufBytes g = m.gguf("llama-bpe");
  g.boolean("tokenizer.ggml.add_bos_token", false);
  auto off = load(g);
  ASSERT_TRUE(off.ok());
  EXPECT_FALSE(off->vocab().add_bos());
}

TEST(TokenizerBpePreTokenizers, IgnoreMergesTakesWholeWordsFromTheVocab) {
  // llama3 (ignore_merges): a word that is a vocab entry is emitted as is, even when no merge path leads to it.
  MiniBpe m;
  const Token xyz = m.add("xyz");
  auto llama3 = load(m.gguf("llama3"));
  ASSERT_TRUE(llama3.ok());
  EXPECT_EQ(plain(*llama3, "xyz"), (std::vector<Token>{xyz}));
  auto gpt2 = load(m.gguf("gpt-2"));
  ASSERT_TRUE(gpt2.ok());
  EXPECT_EQ(plain(*gpt2, "xyz"), (std::vector<Token>{'x', 'y', 'z'}));
}

TEST(TokenizerBpeBytes, MappingIsAReversibleBijection) {
  std::vector<std::string> seen;
  for (int b = 0; b < 256; ++b) {
    const std::string u(bpe::byte_to_unicode(static_cast<uint8_t>(b)));
    EXPECT_EQ(bpe::unicode_to_bytes(u), std::string(1, static_cast<char>(b))) << b;
    seen.push_back(u);
  }
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(std::unique(seen.begin(), seen.end()), seen.end());
  EXPECT_EQ(bpe::byte_to_unicode(' '), "\xC4\xA0");   // Ġ
  EXPECT_EQ(bpe::byte_to_unicode('\n'), "\xC4\x8A");  // Ċ
  EXPECT_EQ(bpe::byte_to_unicode('A'), "A");
  EXPECT_EQ(bpe::unicode_to_bytes("\xE4\xB8\xAD"), "\xE4\xB8\xAD");  // not a mapped code point: kept
}

// ---- The real gpt-2 vocab --------------------------------------------------------------------------------------

class TokenizerBpeHostile : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    tok_ = testing::shared_tokenizer("tokenizers/gguf/ggml-vocab-gpt-2.gguf", &error);
    ASSERT_NE(tok_, nullptr) << error;
  }

  const Tokenizer* tok_ = nullptr;
};

TEST_F(TokenizerBpeHostile, MetadataDefaults) {
  EXPECT_EQ(tok_->vocab().model(), "gpt2");
  EXPECT_EQ(tok_->vocab().pre(), "gpt-2");
  EXPECT_EQ(tok_->vocab().size(), 50257u);
  EXPECT_FALSE(tok_->vocab().add_bos());
  EXPECT_FALSE(tok_->vocab().add_space_prefix());
  EXPECT_EQ(tok_->vocab().merges().size(), 50000u);
  EXPECT_EQ(tok_->vocab().byte_token(' '), tok_->vocab().find("\xC4\xA0"));
  EXPECT_EQ(tok_->token_to_piece(tok_->vocab().find("\xC4\xA0world")), " world");
}

TEST_F(TokenizerBpeHostile, InvalidByteIsAPieceOfItsOwn) {
  const std::vector<Token> ids = plain(*tok_,
                                       "Hello\xFF"
                                       "world");
  std::vector<Token> want = plain(*tok_, "Hello");
  want.push_back(tok_->vocab().byte_token(0xFF));
  const std::vector<Token> world = plain(*tok_, "world");
  want.insert(want.end(), world.begin(), world.end());
  EXPECT_EQ(ids, want);
}

TEST_F(TokenizerBpeHostile, EmptyStringGetsNoBos) {
  EXPECT_TRUE(tok_->encode("", {.add_special = true, .parse_special = true}).empty());  // gpt-2 adds no BOS
}

TEST_F(TokenizerBpeHostile, SpecialTokenText) {
  const std::string text = "a<|endoftext|>b";
  const Token eot = tok_->vocab().find("<|endoftext|>");
  ASSERT_GE(eot, 0);
  const std::vector<Token> parsed = tok_->encode(text, {.add_special = false, .parse_special = true});
  EXPECT_EQ(parsed, (std::vector<Token>{tok_->vocab().find("a"), eot, tok_->vocab().find("b")}));
  EXPECT_EQ(tok_->decode(parsed, /*render_special=*/true), text);
  EXPECT_EQ(tok_->decode(parsed), "ab");
  const std::vector<Token> literal = plain(*tok_, text);
  EXPECT_EQ(std::find(literal.begin(), literal.end(), eot), literal.end());
  EXPECT_EQ(tok_->decode(literal), text);
}

TEST(TokenizerBpeGptNeox, LoadsWithDefaultPreTokenizerAndRoundTrips) {
  std::string error;
  const Tokenizer* tok = testing::shared_tokenizer("tokenizers/gguf/ggml-vocab-gpt-neox.gguf", &error);
  ASSERT_NE(tok, nullptr) << error;
  EXPECT_EQ(tok->vocab().model(), "gpt2");
  EXPECT_EQ(tok->vocab().pre(), "");
  EXPECT_EQ(tok->vocab().size(), 50432u);
  for (const testing::VectorCase& c : testing::load_vector_cases("ggml-vocab-gpt-2.gguf")) {
    const std::vector<Token> ids = plain(*tok, c.text);
    for (Token t : ids) ASSERT_TRUE(tok->vocab().valid(t));
    EXPECT_EQ(testing::escape_bytes(tok->decode(ids)), testing::escape_bytes(c.text)) << c.index;
  }
  const std::string corpus = testing::read_file(testing::shared_path("perf/corpus-1mb.txt"));
  ASSERT_FALSE(corpus.empty());
  const std::vector<Token> ids = plain(*tok, corpus);
  EXPECT_LT(ids.size(), corpus.size() / 2);  // it merges: well under one token per two bytes
  EXPECT_TRUE(tok->decode(ids) == corpus);
}

}  // namespace
}  // namespace minerva
