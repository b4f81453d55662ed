#include "grammar/grammar.h"

#include <gtest/gtest.h>

#include <random>

#include "grammar/json_schema.h"
#include "grammar/matcher.h"
#include "grammar/pattern.h"
#include "grammar/token_mask.h"

namespace minerva::grammar {
namespace {

std::shared_ptr<const Grammar> must_parse(const std::string& text) {
  auto g = parse_gbnf(text);
  EXPECT_TRUE(g.ok()) << (g.ok() ? "" : g.error().message) << "\n" << text;
  return g.ok() ? g.value() : nullptr;
}

// Complete sentence of the grammar?
bool matches(const std::shared_ptr<const Grammar>& g, const std::string& s) {
  Matcher m(g);
  return m.accept(s) && m.accepting(m.state());
}

// Valid prefix of some sentence?
bool prefix_ok(const std::shared_ptr<const Grammar>& g, const std::string& s) {
  Matcher m(g);
  return m.accept(s);
}

TEST(Gbnf, LiteralsClassesAndRepetition) {
  auto g = must_parse(R"(root ::= "ab" [0-9]+ ( "x" | "yz" )? [^a-c]{2,3}  # comment
)");
  ASSERT_TRUE(g);
  EXPECT_TRUE(matches(g, "ab1xdd"));
  EXPECT_TRUE(matches(g, "ab123yzddd"));
  EXPECT_TRUE(matches(g, "ab9ZZ"));
  EXPECT_FALSE(matches(g, "ab"));
  EXPECT_FALSE(matches(g, "ab1x"));
  EXPECT_FALSE(matches(g, "ab1xdddd"));
  EXPECT_FALSE(matches(g, "ab1xda"));
  EXPECT_TRUE(prefix_ok(g, "ab12"));
  EXPECT_FALSE(prefix_ok(g, "ac"));
}

TEST(Gbnf, RecursionAndUnicode) {
  auto g = must_parse("root ::= list\nlist ::= \"[\" ( item ( \",\" item )* )? \"]\"\nitem ::= list | [α-ω]\n");
  ASSERT_TRUE(g);
  EXPECT_TRUE(matches(g, "[]"));
  EXPECT_TRUE(matches(g, "[[α],[],β]"));
  EXPECT_FALSE(matches(g, "[[α],[],β"));
  EXPECT_FALSE(matches(g, "[a]"));
  // Byte by byte: a partial UTF-8 character is a valid prefix only if some character fits.
  Matcher m(g);
  EXPECT_TRUE(m.accept("["));
  EXPECT_TRUE(m.accept("\xCE"));  // first byte of α..ω
  EXPECT_FALSE(m.accepting(m.state()));
  EXPECT_TRUE(m.accept("\xB1"));   // α
  EXPECT_FALSE(m.accept("\xC3"));  // Ã.. cannot follow
  EXPECT_FALSE(m.accept("\xFF"));  // never UTF-8
  EXPECT_TRUE(m.accept("]"));
  EXPECT_TRUE(m.accepting(m.state()));
  EXPECT_FALSE(m.can_continue(m.state()));
}

TEST(Gbnf, DeepNestingDoesNotExplode) {
  auto g = must_parse(R"g(root ::= "(" root ")" | "x")g");
  ASSERT_TRUE(g);
  std::string s = std::string(500, '(') + "x" + std::string(500, ')');
  EXPECT_TRUE(matches(g, s));
  EXPECT_FALSE(matches(g, s + ")"));
}

// Nested pairs of optional rules need 2^40 distinct parse stacks: the matcher gives up (the
// start state is dead and overflowed() says why) instead of hanging.
TEST(Gbnf, ExponentialAmbiguityIsBounded) {
  std::string text = "root ::= r0 \"x\"\n";
  for (int i = 0; i < 40; ++i) {
    text += "r" + std::to_string(i) + " ::= r" + std::to_string(i + 1) + " r" + std::to_string(i + 1) + " | \"\"\n";
  }
  text += "r40 ::= \"a\" | \"\"\n";
  auto g = must_parse(text);
  ASSERT_TRUE(g);
  Matcher m(g);
  EXPECT_TRUE(m.overflowed());
  EXPECT_EQ(m.start(), kDead);
  EXPECT_FALSE(m.accept("x"));
}

TEST(Gbnf, ErrorsNameLineAndColumn) {
  struct Case {
    const char* text;
    const char* want;
  };
  for (const Case& c : std::vector<Case>{
           {"root ::= \"a\" foo", "line 1, column 14: undefined rule 'foo'"},
           {"root ::= \"a\"\nx ::= [a-", "line 2, column 7: unterminated character class"},
           {"root ::= \"abc", "line 1, column 10: unterminated string literal"},
           {"root ::= ( \"a\" ", "expected ')'"},
           {"root := \"a\"", "line 1, column 6: expected '::='"},
           {"root ::= \"a\" \"\\q\"", "line 1, column 15: unknown escape"},
           {"root ::= x\nx ::= x \"a\" | \"b\"", "rule 'x' can reach itself"},
           {"root ::= (\"a\"?)*", "can reach itself"},
           {"root ::= \"a\"{3,2}", "m <= n"},
           {"root ::= \"a\"{99999}", "larger than 10000"},
           {"x ::= \"a\"", "no 'root' rule"},
           {"root ::= \"a\"\nroot ::= \"b\"", "line 2, column 1: rule 'root' is defined twice"},
           {"", "no rules"},
           {"root ::= [z-a]", "reversed"},
           {"root ::= \"\\xZZ\"", "hex digits"},
           {"root ::= \"\\uD800\"", "not a Unicode scalar"},
       }) {
    auto g = parse_gbnf(c.text);
    ASSERT_FALSE(g.ok()) << c.text;
    EXPECT_NE(g.error().message.find(c.want), std::string::npos) << c.text << " -> " << g.error().message;
  }
}

TEST(Gbnf, HostileInputsNeverCrash) {
  std::mt19937 rng(7);
  const std::string alphabet = "root::=\"[]()|*+?{}0123456789,^-.\\ax \n#";
  for (int i = 0; i < 3000; ++i) {
    std::string s = "root ::= ";
    const int n = static_cast<int>(rng() % 24);
    for (int k = 0; k < n; ++k) s += alphabet[rng() % alphabet.size()];
    auto g = parse_gbnf(s);
    if (g.ok()) {
      Matcher m(g.value());
      m.accept("ax(0");
    }
  }
}

TEST(Pattern, ConvertsSubset) {
  for (auto [pat, good, bad] : std::vector<std::tuple<const char*, const char*, const char*>>{
           {"^[A-Z]{2}-\\d{3}$", "AB-123", "AB-12"},
           {"^(foo|ba[rz])+$", "foobazbar", "fooba"},
           {"^a\\.b?c*$", "a.ccc", "abc"},
           {"^[^0-9]+$", "abc", "a1"},
           {"^(?:\\w+)@x$", "a_1@x", "@x"},
       }) {
    auto e = pattern_to_gbnf(pat);
    ASSERT_TRUE(e.ok()) << pat << ": " << e.error().message;
    auto g = must_parse("root ::= " + e.value());
    ASSERT_TRUE(g);
    EXPECT_TRUE(matches(g, good)) << pat << " " << e.value();
    EXPECT_FALSE(matches(g, bad)) << pat << " " << e.value();
  }
  // Quotes inside strings are generated escaped.
  auto q = pattern_to_gbnf("^a\"$");
  ASSERT_TRUE(q.ok());
  EXPECT_TRUE(matches(must_parse("root ::= " + q.value()), "a\\\""));
  for (const char* bad : {"(?=a)", "a\\1", "\\bx", "[abc", "a)", "*a", "x^y"}) {
    auto e = pattern_to_gbnf(bad);
    EXPECT_FALSE(e.ok()) << bad;
  }
}

std::shared_ptr<const Grammar> schema_grammar(const std::string& schema_json) {
  auto text = schema_to_gbnf(nlohmann::ordered_json::parse(schema_json));
  EXPECT_TRUE(text.ok()) << schema_json << ": " << (text.ok() ? "" : text.error().message);
  if (!text.ok()) return nullptr;
  return must_parse(text.value());
}

TEST(JsonSchema, ObjectsArraysAndFormats) {
  auto g = schema_grammar(R"({"type":"object","properties":{
      "name":{"type":"string","maxLength":5},
      "age":{"type":"integer","minimum":0,"maximum":120},
      "tags":{"type":"array","items":{"enum":["a","b"]},"maxItems":2},
      "born":{"type":"string","format":"date"}},
    "required":["name","born"]})");
  ASSERT_TRUE(g);
  EXPECT_TRUE(matches(g, R"({"name":"bob","born":"2000-02-29"})"));
  EXPECT_TRUE(matches(g, R"({"name": "bob", "age": 120, "tags": ["a", "b"], "born": "2023-12-31"})"));
  EXPECT_FALSE(matches(g, R"({"name":"bob","born":"2001-02-29"})"));  // not a leap year
  EXPECT_FALSE(matches(g, R"({"name":"bob","born":"2000-04-31"})"));
  EXPECT_FALSE(matches(g, R"({"name":"bobbyb","born":"2000-01-01"})"));
  EXPECT_FALSE(matches(g, R"({"name":"bob","age":121,"born":"2000-01-01"})"));
  EXPECT_FALSE(matches(g, R"({"name":"bob","tags":["a","b","a"],"born":"2000-01-01"})"));
  EXPECT_FALSE(matches(g, R"({"born":"2000-01-01"})"));
}

TEST(JsonSchema, IntegerAndNumberRanges) {
  auto g = schema_grammar(R"({"type":"integer","minimum":-37,"maximum":1234})");
  ASSERT_TRUE(g);
  for (int v = -60; v <= 1300; ++v) EXPECT_EQ(matches(g, std::to_string(v)), v >= -37 && v <= 1234) << v;
  auto n = schema_grammar(R"({"type":"number","minimum":-2,"maximum":5})");
  ASSERT_TRUE(n);
  EXPECT_TRUE(matches(n, "4.999"));
  EXPECT_TRUE(matches(n, "5"));
  EXPECT_TRUE(matches(n, "-1.5"));
  EXPECT_TRUE(matches(n, "-2"));
  EXPECT_FALSE(matches(n, "5.1"));
  EXPECT_FALSE(matches(n, "-2.1"));
  auto x = schema_grammar(R"({"type":"integer","exclusiveMinimum":0,"exclusiveMaximum":10})");
  ASSERT_TRUE(x);
  for (int v = -12; v <= 12; ++v) EXPECT_EQ(matches(x, std::to_string(v)), v > 0 && v < 10) << v;
}

TEST(JsonSchema, RefsRecursionAndUnions) {
  auto g = schema_grammar(R"({"$defs":{"node":{"type":"object","properties":{
      "v":{"type":["integer","null"]},"kids":{"type":"array","items":{"$ref":"#/$defs/node"}}},
      "required":["v"],"additionalProperties":false}},"$ref":"#/$defs/node"})");
  ASSERT_TRUE(g);
  EXPECT_TRUE(matches(g, R"({"v":1,"kids":[{"v":null},{"v":2,"kids":[]}]})"));
  EXPECT_FALSE(matches(g, R"({"v":1,"kids":[{"x":1}]})"));
  auto u = schema_grammar(R"({"anyOf":[{"type":"string","format":"uuid"},{"const":{"a":[1,true]}}]})");
  ASSERT_TRUE(u);
  EXPECT_TRUE(matches(u, R"("123e4567-e89b-12d3-a456-426614174000")"));
  EXPECT_TRUE(matches(u, R"({"a":[1,true]})"));
  EXPECT_FALSE(matches(u, R"("123e4567")"));
}

TEST(JsonSchema, UnsupportedKeywordsNameThePointer) {
  for (auto [schema, want] : std::vector<std::pair<const char*, const char*>>{
           {R"({"type":"object","properties":{"a":{"not":{}}}})", "'not' at '/properties/a/not'"},
           {R"({"type":"array","uniqueItems":true})", "'uniqueItems' at '/uniqueItems'"},
           {R"({"type":"string","format":"hostname"})", "format 'hostname' at '/format'"},
           {R"({"$ref":"#/nope"})", "points to nothing"},
           {R"({"type":"number","minimum":0.5})", "'minimum' at '/minimum'"},
           {R"g({"type":"string","pattern":"(?=x)"})g", "'/pattern'"},
           {R"({"type":"wat"})", "unknown type 'wat'"},
           {R"(false)", "accepts nothing"},
       }) {
    auto r = schema_to_gbnf(nlohmann::ordered_json::parse(schema));
    ASSERT_FALSE(r.ok()) << schema;
    EXPECT_NE(r.error().message.find(want), std::string::npos) << schema << " -> " << r.error().message;
  }
}

TEST(TokenMask, AllowsExactlyTheTokensThatFit) {
  auto g = must_parse(R"(root ::= "{" [a-z]{1,3} "}")");
  ASSERT_TRUE(g);
  const std::vector<std::string> pieces = {"{", "{a", "ab", "abcd", "}", "a}", "", "x", "é", "{\xC3", "}}"};
  TokenTrie trie(pieces);
  Matcher m(g);
  TokenMasker masker(trie, m);
  auto allowed = [&](StateId s) {
    std::vector<int> ids;
    const TokenMask& mask = masker.mask(s);
    for (size_t i = 0; i < pieces.size(); ++i) {
      if (mask_test(mask, i)) ids.push_back(static_cast<int>(i));
    }
    return ids;
  };
  EXPECT_EQ(allowed(m.state()), (std::vector<int>{0, 1}));
  ASSERT_TRUE(m.accept("{"));
  EXPECT_EQ(allowed(m.state()), (std::vector<int>{2, 5, 7}));
  ASSERT_TRUE(m.accept("ab"));
  EXPECT_EQ(allowed(m.state()), (std::vector<int>{4, 5, 7}));
  ASSERT_TRUE(m.accept("}"));
  EXPECT_TRUE(allowed(m.state()).empty());
  EXPECT_TRUE(m.accepting(m.state()));
  // Cached: the same state again is a hit.
  allowed(m.start());
  EXPECT_GE(masker.cache_hits(), 0u);
}

// Every mask agrees with stepping each token through the matcher directly.
TEST(TokenMask, MatchesBruteForceOnJson) {
  auto text = json_object_gbnf();
  auto g = must_parse(text);
  ASSERT_TRUE(g);
  std::vector<std::string> pieces;
  const std::string chars = "{}[]\",:abc01 -.\\e\ntrufalsn";
  std::mt19937 rng(3);
  for (int i = 0; i < 400; ++i) {
    std::string p;
    const int n = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < n; ++k) p += chars[rng() % chars.size()];
    pieces.push_back(p);
  }
  TokenTrie trie(pieces);
  Matcher m(g);
  TokenMasker masker(trie, m);
  for (int step = 0; step < 60; ++step) {
    const TokenMask mask = masker.mask(m.state());
    std::vector<size_t> ok;
    for (size_t i = 0; i < pieces.size(); ++i) {
      const bool brute = m.step(m.state(), pieces[i]) != kDead;
      ASSERT_EQ(mask_test(mask, i), brute) << "token '" << pieces[i] << "' at step " << step;
      if (brute) ok.push_back(i);
    }
    if (ok.empty()) break;
    ASSERT_TRUE(m.accept(pieces[ok[rng() % ok.size()]]));
  }
}

}  // namespace
}  // namespace minerva::grammar
