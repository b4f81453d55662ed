// tokenizer.json components on small hand-made files: each pre-tokenizer, normalizer, model option,
// post-processor, decoder and added-token flag, with expectations taken from the HF tokenizers documentation
// and its Rust semantics. WordPiece + BertNormalizer + BertPreTokenizer are also checked against the bert-bge
// vectors (HF Python ids) by rebuilding that vocab as a tokenizer.json.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tokenizer_fixtures.h"

namespace minerva {
namespace {

using json = nlohmann::json;

// A WordLevel tokenizer.json whose vocab is "[UNK]" plus `pieces`: the ids encode() returns show how the
// normalizer and pre-tokenizer cut the text (anything unexpected shows up as [UNK]).
Tokenizer word_level(const json& pre, const std::vector<std::string>& pieces, const json& normalizer = nullptr) {
  json vocab = {{"[UNK]", 0}};
  for (size_t i = 0; i < pieces.size(); ++i) vocab[pieces[i]] = i + 1;
  const json j = {{"model", {{"type", "WordLevel"}, {"vocab", vocab}, {"unk_token", "[UNK]"}}},
                  {"pre_tokenizer", pre},
                  {"normalizer", normalizer}};
  auto tok = Tokenizer::from_hf_json(j.dump());
  EXPECT_TRUE(tok.ok()) << tok.error().message;
  return tok.ok() ? std::move(tok).value() : Tokenizer();
}

std::vector<std::string> texts(const Tokenizer& tok, std::string_view text) {
  std::vector<std::string> out;
  for (Token t : tok.encode(text, {.add_special = false, .parse_special = true})) {
    out.emplace_back(tok.vocab().text(t));
  }
  return out;
}

using Pieces = std::vector<std::string>;

TEST(HfPreTokenizers, SplitEveryBehaviour) {
  // The HF documentation's example for SplitDelimiterBehavior.
  const std::string text = "the-final--countdown";
  const std::pair<const char*, Pieces> cases[] = {
      {"Removed", {"the", "final", "countdown"}},
      {"Isolated", {"the", "-", "final", "-", "-", "countdown"}},
      {"MergedWithPrevious", {"the-", "final-", "-", "countdown"}},
      {"MergedWithNext", {"the", "-final", "-", "-countdown"}},
      {"Contiguous", {"the", "-", "final", "--", "countdown"}},
  };
  for (const auto& [behavior, want] : cases) {
    const json pre = {{"type", "Split"}, {"pattern", {{"String", "-"}}}, {"behavior", behavior}, {"invert", false}};
    EXPECT_EQ(texts(word_level(pre, want), text), want) << behavior;
  }
  // invert: the pattern marks what to keep; Removed then drops everything else.
  const json inv = {{"type", "Split"}, {"pattern", {{"String", "-"}}}, {"behavior", "Removed"}, {"invert", true}};
  EXPECT_EQ(texts(word_level(inv, {"-"}), text), (Pieces{"-", "-", "-"}));
  const json re = {{"type", "Split"}, {"pattern", {{"Regex", "\\w+"}}}, {"behavior", "Isolated"}, {"invert", false}};
  EXPECT_EQ(texts(word_level(re, {"Hello", ", ", "world"}), "Hello, world"), (Pieces{"Hello", ", ", "world"}));
}

TEST(HfPreTokenizers, WhitespacePunctuationDigitsBert) {
  EXPECT_EQ(texts(word_level({{"type", "Whitespace"}}, {"Hey", "friend", "!", "How", "are", "you", "?!?"}),
                  "Hey friend!     How are you?!?"),
            (Pieces{"Hey", "friend", "!", "How", "are", "you", "?!?"}));
  EXPECT_EQ(texts(word_level({{"type", "WhitespaceSplit"}}, {"Hey", "friend!", "x"}), "Hey friend!\t\u00A0 x"),
            (Pieces{"Hey", "friend!", "x"}));
  EXPECT_EQ(texts(word_level({{"type", "Punctuation"}}, {"Hey friend", "!", "?"}), "Hey friend!?"),
            (Pieces{"Hey friend", "!", "?"}));
  EXPECT_EQ(texts(word_level({{"type", "Digits"}, {"individual_digits", true}}, {"Call ", "1", "2", "3", " now"}),
                  "Call 123 now"),
            (Pieces{"Call ", "1", "2", "3", " now"}));
  EXPECT_EQ(
      texts(word_level({{"type", "Digits"}, {"individual_digits", false}}, {"Call ", "123", " now"}), "Call 123 now"),
      (Pieces{"Call ", "123", " now"}));
  EXPECT_EQ(texts(word_level({{"type", "BertPreTokenizer"}}, {"Hey", "friend", "!", "How", "?"}), "Hey friend!  How?"),
            (Pieces{"Hey", "friend", "!", "How", "?"}));
  EXPECT_EQ(texts(word_level({{"type", "CharDelimiterSplit"}, {"delimiter", "|"}}, {"a", "b"}), "a|b||"),
            (Pieces{"a", "b"}));
  const json seq = {
      {"type", "Sequence"},
      {"pretokenizers", {{{"type", "WhitespaceSplit"}}, {{"type", "Digits"}, {"individual_digits", true}}}}};
  EXPECT_EQ(texts(word_level(seq, {"ab", "1", "2"}), "ab 12"), (Pieces{"ab", "1", "2"}));
}

TEST(HfPreTokenizers, MetaspacePrependSchemes) {
  const std::string u = "\xE2\x96\x81";  // ▁
  auto meta = [](const char* scheme) {
    return json{{"type", "Metaspace"}, {"replacement", "\xE2\x96\x81"}, {"prepend_scheme", scheme}, {"split", true}};
  };
  EXPECT_EQ(texts(word_level(meta("always"), {u + "Hey", u + "friend"}), "Hey friend"),
            (Pieces{u + "Hey", u + "friend"}));
  EXPECT_EQ(texts(word_level(meta("never"), {"Hey", u + "friend"}), "Hey friend"), (Pieces{"Hey", u + "friend"}));
  // "first": only the piece at the very start of the input gets the prefix, not text after an added token.
  json j = {
      {"model",
       {{"type", "WordLevel"}, {"vocab", {{"[UNK]", 0}, {u + "a", 1}, {"b", 2}, {"<x>", 3}}}, {"unk_token", "[UNK]"}}},
      {"pre_tokenizer", meta("first")},
      {"added_tokens", {{{"id", 3}, {"content", "<x>"}, {"special", true}}}}};
  auto tok = Tokenizer::from_hf_json(j.dump());
  ASSERT_TRUE(tok.ok()) << tok.error().message;
  EXPECT_EQ(texts(*tok, "a<x>b"), (Pieces{u + "a", "<x>", "b"}));
  // Legacy form: add_prefix_space instead of prepend_scheme; split false keeps one piece.
  const json legacy = {
      {"type", "Metaspace"}, {"replacement", "\xE2\x96\x81"}, {"add_prefix_space", true}, {"split", false}};
  EXPECT_EQ(texts(word_level(legacy, {u + "a" + u + "b"}), "a b"), (Pieces{u + "a" + u + "b"}));
}

TEST(HfPreTokenizers, ByteLevelPrefixSpaceAndRegex) {
  const std::string g = "\xC4\xA0";  // Ġ, the byte-level form of ' '
  const json bl = {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"use_regex", true}};
  EXPECT_EQ(texts(word_level(bl, {g + "Hello", g + "world"}), "Hello world"), (Pieces{g + "Hello", g + "world"}));
  const json no_re = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", false}};
  EXPECT_EQ(texts(word_level(no_re, {"a" + g + "b"}), "a b"), (Pieces{"a" + g + "b"}));
}

TEST(HfNormalizers, UnicodeFormsCaseStripReplacePrepend) {
  const json ws = {{"type", "WhitespaceSplit"}};
  EXPECT_EQ(texts(word_level(ws, {"fi"}, {{"type", "NFKC"}}), "\xEF\xAC\x81"), (Pieces{"fi"}));           // ﬁ
  EXPECT_EQ(texts(word_level(ws, {"e\xCC\x81"}, {{"type", "NFD"}}), "\xC3\xA9"), (Pieces{"e\xCC\x81"}));  // é
  EXPECT_EQ(texts(word_level(ws, {"\xC3\xA9"}, {{"type", "NFC"}}), "e\xCC\x81"), (Pieces{"\xC3\xA9"}));
  EXPECT_EQ(texts(word_level(ws, {"fi"}, {{"type", "NFKD"}}), "\xEF\xAC\x81"), (Pieces{"fi"}));
  EXPECT_EQ(texts(word_level(ws, {"hello", "\xC3\xA4"}, {{"type", "Lowercase"}}), "HeLLo \xC3\x84"),
            (Pieces{"hello", "\xC3\xA4"}));
  const json none = nullptr;
  EXPECT_EQ(
      texts(word_level(none, {"a b"}, {{"type", "Strip"}, {"strip_left", true}, {"strip_right", true}}), "  a b \n"),
      (Pieces{"a b"}));
  EXPECT_EQ(
      texts(word_level(none, {"x_y"}, {{"type", "Replace"}, {"pattern", {{"String", " "}}}, {"content", "_"}}), "x y"),
      (Pieces{"x_y"}));
  EXPECT_EQ(texts(word_level(none, {"x-y"}, {{"type", "Replace"}, {"pattern", {{"Regex", "\\s+"}}}, {"content", "-"}}),
                  "x \t y"),
            (Pieces{"x-y"}));
  EXPECT_EQ(texts(word_level(none, {">ab"}, {{"type", "Prepend"}, {"prepend", ">"}}), "ab"), (Pieces{">ab"}));
  EXPECT_TRUE(texts(word_level(none, {">"}, {{"type", "Prepend"}, {"prepend", ">"}}), "").empty());  // not on ""
  const json bert = {{"type", "BertNormalizer"},
                     {"clean_text", true},
                     {"handle_chinese_chars", true},
                     {"strip_accents", nullptr},
                     {"lowercase", true}};
  EXPECT_EQ(texts(word_level(ws, {"hello", "\xE4\xB8\xAD", "\xE5\x9B\xBD"}, bert),
                  "H\xC3\xA9llo\x01\xE4\xB8\xAD\xE5\x9B\xBD"),
            (Pieces{"hello", "\xE4\xB8\xAD", "\xE5\x9B\xBD"}));
  const json seq = {{"type", "Sequence"}, {"normalizers", {{{"type", "NFKC"}}, {{"type", "Lowercase"}}}}};
  EXPECT_EQ(texts(word_level(ws, {"fi"}, seq), "\xEF\xAC\x81"), (Pieces{"fi"}));
}

Tokenizer from_json(const json& j) {
  auto tok = Tokenizer::from_hf_json(j.dump());
  EXPECT_TRUE(tok.ok()) << tok.error().message;
  return tok.ok() ? std::move(tok).value() : Tokenizer();
}

std::vector<Token> ids(const Tokenizer& tok, std::string_view text, bool add_special = false) {
  return tok.encode(text, {.add_special = add_special, .parse_special = true});
}

TEST(HfModels, BpeOptions) {
  // continuing_subword_prefix: merges join "a" + "##b" into "ab".
  const Tokenizer prefix = from_json({{"model",
                                       {{"type", "BPE"},
                                        {"vocab", {{"a", 0}, {"##b", 1}, {"ab", 2}, {"##c", 3}, {"abc", 4}}},
                                        {"merges", {"a ##b", "ab ##c"}},
                                        {"continuing_subword_prefix", "##"}}}});
  EXPECT_EQ(ids(prefix, "abc"), (std::vector<Token>{4}));
  EXPECT_EQ(ids(prefix, "ab"), (std::vector<Token>{2}));
  // end_of_word_suffix, merges in the ["a", "b"] array form.
  const Tokenizer suffix = from_json({{"model",
                                       {{"type", "BPE"},
                                        {"vocab", {{"a", 0}, {"b</w>", 1}, {"ab</w>", 2}, {"b", 3}}},
                                        {"merges", json::array({json::array({"a", "b</w>"})})},
                                        {"end_of_word_suffix", "</w>"}}}});
  EXPECT_EQ(ids(suffix, "ab"), (std::vector<Token>{2}));
  // byte_fallback: a character missing from the vocab becomes its UTF-8 bytes.
  const Tokenizer bytes = from_json({{"model",
                                      {{"type", "BPE"},
                                       {"vocab", {{"<unk>", 0}, {"<0xC3>", 1}, {"<0xA9>", 2}, {"a", 3}}},
                                       {"merges", json::array()},
                                       {"unk_token", "<unk>"},
                                       {"byte_fallback", true}}}});
  EXPECT_EQ(ids(bytes, "a\xC3\xA9"), (std::vector<Token>{3, 1, 2}));
  EXPECT_EQ(ids(bytes, "x"), (std::vector<Token>{0}));  // no <0x78>: unk
  // unk and fuse_unk.
  for (bool fuse : {true, false}) {
    const Tokenizer unk = from_json({{"model",
                                      {{"type", "BPE"},
                                       {"vocab", {{"<unk>", 0}, {"a", 1}}},
                                       {"merges", json::array()},
                                       {"unk_token", "<unk>"},
                                       {"fuse_unk", fuse}}}});
    EXPECT_EQ(ids(unk, "xxa"), fuse ? (std::vector<Token>{0, 1}) : (std::vector<Token>{0, 0, 1}));
  }
  // ignore_merges: a word that is a token is emitted whole even though no merge builds it.
  for (bool ignore : {true, false}) {
    const Tokenizer t = from_json({{"model",
                                    {{"type", "BPE"},
                                     {"vocab", {{"a", 0}, {"b", 1}, {"ab", 2}, {"abab", 3}}},
                                     {"merges", {"a b"}},
                                     {"ignore_merges", ignore}}}});
    EXPECT_EQ(ids(t, "abab"), ignore ? (std::vector<Token>{3}) : (std::vector<Token>{2, 2}));
  }
  // Lowest rank first: "b c" (rank 0) beats "a b" (rank 1) in "abc".
  const Tokenizer rank = from_json({{"model",
                                     {{"type", "BPE"},
                                      {"vocab", {{"a", 0}, {"b", 1}, {"c", 2}, {"ab", 3}, {"bc", 4}}},
                                      {"merges", {"b c", "a b"}}}}});
  EXPECT_EQ(ids(rank, "abc"), (std::vector<Token>{0, 4}));
}

TEST(HfModels, WordPieceGreedyLongestMatch) {
  const Tokenizer wp =
      from_json({{"model",
                  {{"type", "WordPiece"},
                   {"vocab", {{"[UNK]", 0}, {"un", 1}, {"##believ", 2}, {"##able", 3}, {"unbeliev", 4}}},
                   {"unk_token", "[UNK]"},
                   {"max_input_chars_per_word", 12}}},
                 {"pre_tokenizer", {{"type", "WhitespaceSplit"}}},
                 {"decoder", {{"type", "WordPiece"}, {"prefix", "##"}, {"cleanup", true}}}});
  EXPECT_EQ(ids(wp, "unbelievable"), (std::vector<Token>{4, 3}));
  EXPECT_EQ(ids(wp, "unx"), (std::vector<Token>{0}));            // rest unmatched: the whole word is [UNK]
  EXPECT_EQ(ids(wp, "unbelievables"), (std::vector<Token>{0}));  // 13 > 12 characters
  EXPECT_EQ(wp.decode(std::vector<Token>{1, 2, 3, 1}), "unbelievable un");
}

TEST(HfModels, UnigramViterbi) {
  const std::pair<const char*, double> vocab[] = {{"<unk>", 0.0}, {"a", -1.0}, {"b", -2.0},
                                                  {"ab", -1.5},   {"c", -3.0}, {"<0x78>", -4.0}};
  json j = {{"model", {{"type", "Unigram"}, {"unk_id", 0}, {"vocab", json::array()}}}};
  for (const auto& [k, v] : vocab) j["model"]["vocab"].push_back(json::array({k, v}));
  const Tokenizer uni = from_json(j);
  EXPECT_EQ(ids(uni, "ab"), (std::vector<Token>{3}));  // -1.5 beats a + b = -3
  EXPECT_EQ(ids(uni, "abc"), (std::vector<Token>{3, 4}));
  EXPECT_EQ(ids(uni, "cyyc"), (std::vector<Token>{4, 0, 4}));  // unknowns fuse into one unk
  j["model"]["byte_fallback"] = true;
  const Tokenizer fb = from_json(j);
  EXPECT_EQ(ids(fb, "axa"), (std::vector<Token>{1, 5, 1}));  // the unknown "x" becomes <0x78>
  EXPECT_EQ(ids(fb, "ay"), (std::vector<Token>{1, 0}));      // no <0x79>: unk
}

json tiny_bpe() {
  return {{"type", "BPE"}, {"vocab", {{"a", 0}, {"b", 1}, {"[CLS]", 2}, {"[SEP]", 3}}}, {"merges", json::array()}};
}

TEST(HfPostProcessors, BertRobertaTemplateSequence) {
  const Tokenizer bert =
      from_json({{"model", tiny_bpe()},
                 {"post_processor", {{"type", "BertProcessing"}, {"sep", {"[SEP]", 3}}, {"cls", {"[CLS]", 2}}}}});
  EXPECT_EQ(ids(bert, "ab", true), (std::vector<Token>{2, 0, 1, 3}));
  EXPECT_EQ(ids(bert, "ab", false), (std::vector<Token>{0, 1}));
  const Tokenizer roberta = from_json(
      {{"model", tiny_bpe()},
       {"post_processor",
        {{"type", "RobertaProcessing"}, {"sep", {"[SEP]", 3}}, {"cls", {"[CLS]", 2}}, {"trim_offsets", true}}}});
  EXPECT_EQ(ids(roberta, "a", true), (std::vector<Token>{2, 0, 3}));
  const json tmpl = {
      {"type", "TemplateProcessing"},
      {"single",
       {{{"SpecialToken", {{"id", "[CLS]"}, {"type_id", 0}}}},
        {{"Sequence", {{"id", "A"}, {"type_id", 0}}}},
        {{"SpecialToken", {{"id", "[SEP]"}, {"type_id", 0}}}}}},
      {"special_tokens", {{"[CLS]", {{"id", "[CLS]"}, {"ids", {2}}}}, {"[SEP]", {{"id", "[SEP]"}, {"ids", {3, 3}}}}}}};
  const Tokenizer t =
      from_json({{"model", tiny_bpe()},
                 {"post_processor", {{"type", "Sequence"}, {"processors", {{{"type", "ByteLevel"}}, tmpl}}}}});
  EXPECT_EQ(ids(t, "b", true), (std::vector<Token>{2, 1, 3, 3}));
}

TEST(HfDecoders, MetaspaceStripReplaceByteFallbackFuse) {
  const std::string u = "\xE2\x96\x81";
  const Tokenizer meta =
      from_json({{"model", {{"type", "BPE"}, {"vocab", {{u + "Hi", 0}, {u + "there", 1}}}, {"merges", json::array()}}},
                 {"decoder", {{"type", "Metaspace"}, {"replacement", u}, {"prepend_scheme", "always"}}}});
  EXPECT_EQ(meta.decode(std::vector<Token>{0, 1}), "Hi there");
  const Tokenizer llama = from_json({{"model",
                                      {{"type", "BPE"},
                                       {"vocab", {{u + "a", 0}, {"<0xC3>", 1}, {"<0xA9>", 2}, {"<s>", 3}}},
                                       {"merges", json::array()},
                                       {"byte_fallback", true}}},
                                     {"added_tokens", {{{"id", 3}, {"content", "<s>"}, {"special", true}}}},
                                     {"decoder",
                                      {{"type", "Sequence"},
                                       {"decoders",
                                        {{{"type", "Replace"}, {"pattern", {{"String", u}}}, {"content", " "}},
                                         {{"type", "ByteFallback"}},
                                         {{"type", "Fuse"}},
                                         {{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}}}}}}});
  EXPECT_EQ(llama.decode(std::vector<Token>{0, 1, 2, 0}), "a\xC3\xA9 a");
  // Skipped special tokens do not use up the strip at the start; rendered ones do.
  EXPECT_EQ(llama.decode(std::vector<Token>{3, 0}), "a");
  EXPECT_EQ(llama.decode(std::vector<Token>{3, 0}, /*render_special=*/true), "<s> a");
  // Streaming gives the same bytes, holding a split character until it completes.
  StreamingDetokenizer stream(llama);
  std::string streamed;
  for (Token t : {3, 0, 1, 2, 0}) streamed += stream.push(t);
  streamed += stream.finish();
  EXPECT_EQ(streamed, llama.decode(std::vector<Token>{3, 0, 1, 2, 0}));
}

TEST(HfAddedTokens, StripSingleWordNormalizedSpecial) {
  const std::string u = "\xE2\x96\x81";
  json j = {{"model",
             {{"type", "WordLevel"}, {"vocab", {{"[UNK]", 0}, {"a", 1}, {"b", 2}, {"ab", 3}}}, {"unk_token", "[UNK]"}}},
            {"pre_tokenizer", {{"type", "WhitespaceSplit"}}},
            {"normalizer", {{"type", "Lowercase"}}},
            {"added_tokens",
             {{{"id", 10}, {"content", "<L>"}, {"special", true}, {"lstrip", true}, {"normalized", false}},
              {{"id", 11}, {"content", "<R>"}, {"special", true}, {"rstrip", true}, {"normalized", false}},
              {{"id", 12}, {"content", "x"}, {"special", false}, {"single_word", true}, {"normalized", false}},
              {{"id", 13}, {"content", "NORM"}, {"special", false}, {"normalized", true}}}}};
  const Tokenizer tok = from_json(j);
  // lstrip eats the spaces before <L>, rstrip those after <R>; WhitespaceSplit would drop them anyway, so check
  // through the pieces' neighbours: "a  <L>" keeps "a" whole.
  EXPECT_EQ(ids(tok, "a  <L>b"), (std::vector<Token>{1, 10, 2}));
  EXPECT_EQ(ids(tok, "a<R>   b"), (std::vector<Token>{1, 11, 2}));
  // single_word: "x" only matches as a word of its own.
  EXPECT_EQ(ids(tok, "a x b"), (std::vector<Token>{1, 12, 2}));
  EXPECT_EQ(ids(tok, "axb"), (std::vector<Token>{0}));
  // normalized: matched after Lowercase, so "norm" in any case is the token (its content is normalized too).
  EXPECT_EQ(ids(tok, "a NoRm"), (std::vector<Token>{1, 13}));
  // parse_special=false: special added tokens are text; non-special ones still match.
  EXPECT_EQ(tok.encode("<L> x", {.add_special = false, .parse_special = false}), (std::vector<Token>{0, 12}));
}

// bert-bge's GGUF vocab rewritten as the tokenizer.json BERT uses (llama.cpp's converter writes "▁w" for word
// starts and "w" for "##w"): the .inp/.out vectors are HF Python's ids for BertNormalizer + BertPreTokenizer +
// WordPiece.
TEST(HfModels, WordPieceMatchesBertBgeVectors) {
  std::string error;
  const Tokenizer* gguf = testing::shared_tokenizer("tokenizers/gguf/ggml-vocab-bert-bge.gguf", &error);
  ASSERT_NE(gguf, nullptr) << error;
  json vocab = json::object();
  for (size_t i = 0; i < gguf->vocab().size(); ++i) {
    std::string t(gguf->vocab().text(static_cast<Token>(i)));
    if (t.starts_with("\xE2\x96\x81")) {
      t = t.substr(3);
    } else if (!(t.starts_with("[") && t.ends_with("]"))) {
      t = "##" + t;
    }
    vocab[t] = i;
  }
  const Tokenizer tok = from_json({{"model",
                                    {{"type", "WordPiece"},
                                     {"vocab", vocab},
                                     {"unk_token", "[UNK]"},
                                     {"continuing_subword_prefix", "##"},
                                     {"max_input_chars_per_word", 100}}},
                                   {"normalizer",
                                    {{"type", "BertNormalizer"},
                                     {"clean_text", true},
                                     {"handle_chinese_chars", true},
                                     {"strip_accents", nullptr},
                                     {"lowercase", true}}},
                                   {"pre_tokenizer", {{"type", "BertPreTokenizer"}}}});
  const auto cases = testing::load_vector_cases("ggml-vocab-bert-bge.gguf");
  ASSERT_EQ(cases.size(), 46u) << cases[0].load_error;
  size_t ok = 0;
  for (const auto& c : cases) {
    const std::vector<Token> got = ids(tok, c.text);
    EXPECT_EQ(got, c.expected) << testing::escape_bytes(c.text);
    ok += got == c.expected ? 1 : 0;
  }
  std::printf("bert-bge as tokenizer.json WordPiece: %zu/%zu\n", ok, cases.size());
}

}  // namespace
}  // namespace minerva
