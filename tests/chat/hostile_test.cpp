// Hostile templates: every failure is an Error naming line:column; nothing crashes, hangs or
// grows without bound (nesting, loop iterations, output size and call depth are capped).
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "chat/template.h"

namespace minerva::chat {
namespace {

using json = nlohmann::ordered_json;

std::string repeat(const std::string& s, int n) {
  std::string out;
  for (int k = 0; k < n; ++k) out += s;
  return out;
}

// The parse or render error message; "" when both succeed.
std::string failure(const std::string& src, const json& ctx = json::object(), const RenderOptions& opts = {}) {
  auto t = Template::parse(src);
  if (!t.ok()) return t.error().message;
  auto out = t->render(ctx, opts);
  return out.ok() ? "" : out.error().message;
}

void expect_error_at(const std::string& src, const std::string& where, const std::string& what = "") {
  std::string msg = failure(src);
  EXPECT_NE(msg, "") << src;
  EXPECT_NE(msg.find(" at line " + where), std::string::npos) << src << " -> " << msg;
  EXPECT_NE(msg.find(what), std::string::npos) << src << " -> " << msg;
}

TEST(ChatHostile, UnterminatedTags) {
  expect_error_at("ab{{ x", "1:3", "unterminated");
  expect_error_at("a\n{% if x %}", "2:", "endif");
  expect_error_at("{# comment", "1:1", "unterminated comment");
  expect_error_at("{% raw %}abc", "1:1", "unterminated raw");
  expect_error_at("{{ 'abc }}", "1:4", "unterminated string");
  expect_error_at("{% for x in y %}", "1:", "endfor");
  expect_error_at("x\n\n  {% endif %}", "3:", "unknown tag 'endif'");
  expect_error_at("{% if x %}{% endfor %}", "1:", "");
  expect_error_at("{{ x + }}", "1:8", "unexpected");
  expect_error_at("{{ (1 }}", "1:", "");
  expect_error_at("{{ ) }}", "1:4", "");
  expect_error_at("{% frobnicate %}", "1:4", "unknown tag");
  expect_error_at("{% break %}", "1:4", "outside of a loop");
  expect_error_at("{{ 99999999999999999999 }}", "1:4", "too large");
  expect_error_at("{{ 'a' $ 1 }}", "1:8", "unexpected character");
}

TEST(ChatHostile, RuntimeErrorsNameTheirPosition) {
  expect_error_at("line one\n{{ 1 + 'a' }}", "2:", "TypeError");
  std::string msg = failure("{% for m in messages %}\n  {{ m.content + 1 }}\n{% endfor %}",
                            {{"messages", json::array({{{"content", "hi"}}})}});
  EXPECT_NE(msg.find("TypeError: can only concatenate str (not \"int\") to str at line 2:"), std::string::npos) << msg;
  msg = failure("{% if true %}\n{{ raise_exception('custom message') }}{% endif %}");
  EXPECT_NE(msg.find("custom message"), std::string::npos) << msg;
  EXPECT_NE(msg.find("line 2:"), std::string::npos) << msg;
}

TEST(ChatHostile, DeepNestingIsRefused) {
  const int n = 10000;
  for (const std::string& src :
       {repeat("{% if true %}", n) + repeat("{% endif %}", n),
        repeat("{% for x in [1] %}", n) + repeat("{% endfor %}", n),
        "{{ " + repeat("(", n) + "1" + repeat(")", n) + " }}", "{{ " + repeat("[", n) + repeat("]", n) + " }}",
        "{{ " + repeat("{'a': ", n) + "1" + repeat("}", n) + " }}", "{{ " + repeat("not ", n) + "x }}",
        "{{ " + repeat("-", n) + "1 }}", "{{ x" + repeat(".a", n) + " }}", "{{ x" + repeat("|e", n) + " }}",
        "{{ " + repeat("1 if x else ", n) + "1 }}", "{{ x" + repeat("[0]", n) + " }}", "{{ f" + repeat("()", n) + " }}",
        "{{ 1" + repeat(" + 1", n) + " }}"}) {
    std::string msg = failure(src);
    EXPECT_NE(msg, "") << src.substr(0, 40);
    EXPECT_NE(msg.find(" at line 1:"), std::string::npos) << msg;
  }
}

TEST(ChatHostile, DeepInputIsRefused) {
  json deep = json::array();
  for (int k = 0; k < 2000; ++k) deep = json::array({deep});
  std::string msg = failure("{{ x }}", {{"x", deep}});
  EXPECT_NE(msg.find("nested too deeply"), std::string::npos) << msg;
}

TEST(ChatHostile, RuntimeNestingIsCapped) {
  std::string msg = failure(
      "{% set ns = namespace(x=[]) %}{% for i in range(100000) %}{% set ns.x = [ns.x] %}{% endfor %}{{ ns.x }}");
  EXPECT_NE(msg.find("nested too deeply"), std::string::npos) << msg;
  msg =
      failure("{% set ns = namespace(x=[1]) %}{% for i in range(100000) %}{% set ns.x = ns.x|batch(1) %}{% endfor %}");
  EXPECT_NE(msg.find("nested too deeply"), std::string::npos) << msg;
}

TEST(ChatHostile, ReferenceCyclesAreRefused) {
  EXPECT_NE(failure("{% set l = [] %}{{ l.append(l) }}"), "");
  EXPECT_NE(failure("{% set a = [] %}{% set b = [a] %}{{ a.append(b) }}"), "");
  EXPECT_NE(failure("{% set ns = namespace() %}{% set ns.self = ns %}"), "");
  EXPECT_NE(failure("{% set ns = namespace() %}{% set ns.x = [{'k': ns}] %}"), "");
  EXPECT_NE(failure("{% set d = {} %}{{ d.update(me=d) }}"), "");
  EXPECT_EQ(failure("{% set l = [] %}{{ l.append([1]) }}{{ l }}"), "");
}

TEST(ChatHostile, LoopIterationsAreCapped) {
  std::string msg = failure("{% for i in range(10**9) %}x{% endfor %}");
  EXPECT_NE(msg.find("limit"), std::string::npos) << msg;
  msg = failure(
      "{% for a in range(1000) %}{% for b in range(1000) %}{% for c in range(1000) %}{% endfor %}"
      "{% endfor %}{% endfor %}");
  EXPECT_NE(msg.find("loop iteration limit"), std::string::npos) << msg;
  RenderOptions small;
  small.max_loop_iterations = 10;
  EXPECT_NE(failure("{% for i in range(11) %}{% endfor %}", json::object(), small), "");
  EXPECT_EQ(failure("{% for i in range(10) %}{% endfor %}", json::object(), small), "");
}

TEST(ChatHostile, OutputIsCapped) {
  std::string msg = failure("{% for i in range(100000) %}{{ 'x' * 1000 }}{% endfor %}");
  EXPECT_NE(msg.find("output size limit"), std::string::npos) << msg;
  msg = failure("{% set ns = namespace(v='x') %}{% for i in range(64) %}{% set ns.v = ns.v + ns.v %}{% endfor %}");
  EXPECT_NE(msg.find("output size limit"), std::string::npos) << msg;
  msg = failure("{% set ns = namespace(v='x') %}{% for i in range(64) %}{% set ns.v = ns.v ~ ns.v %}{% endfor %}");
  EXPECT_NE(msg.find("output size limit"), std::string::npos) << msg;
  msg = failure("{{ 'x' * 10**12 }}");
  EXPECT_NE(msg.find("output size limit"), std::string::npos) << msg;
  msg = failure("{{ [1, 2] * 10**12 }}");
  EXPECT_NE(msg.find("output size limit"), std::string::npos) << msg;
  msg = failure("{% set s %}{% for i in range(100000) %}{{ 'y' * 1000 }}{% endfor %}{% endset %}");
  EXPECT_NE(msg.find("output size limit"), std::string::npos) << msg;
  RenderOptions small;
  small.max_output_bytes = 4;
  EXPECT_NE(failure("hello", json::object(), small), "");
}

TEST(ChatHostile, RecursionIsCapped) {
  std::string msg = failure("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}");
  EXPECT_NE(msg.find("Recursion"), std::string::npos) << msg;
  msg = failure("{% macro f(n) %}{{ f(n + 1) ~ f(n + 2) }}{% endmacro %}{{ f(0) }}");
  EXPECT_NE(msg, "");
  msg = failure("{% macro f() %}{% call f() %}x{% endcall %}{% endmacro %}{{ f() }}");
  EXPECT_NE(msg, "");
}

TEST(ChatHostile, UndefinedCallsAndMisuse) {
  for (const char* src : {"{{ foo() }}",
                          "{{ foo.bar() }}",
                          "{{ 'x'.nosuch() }}",
                          "{{ [1].nosuch() }}",
                          "{{ {}.nosuch() }}",
                          "{{ 1() }}",
                          "{{ none() }}",
                          "{{ x|nosuchfilter }}",
                          "{{ x is nosuchtest }}",
                          "{{ caller() }}",
                          "{{ range('a') }}",
                          "{{ range(1, 2, 0) }}",
                          "{{ 9223372036854775807 + 1 }}",
                          "{{ 2 ** 64 }}",
                          "{{ -9223372036854775807 - 2 }}",
                          "{{ (-9223372036854775807 - 1) // -1 }}",
                          "{{ [1][::0] }}",
                          "{{ 'a' - 1 }}",
                          "{% set a, b = [1] %}",
                          "{% set x.y = 1 %}",
                          "{{ undefined_thing|tojson }}",
                          "{{ 1 < none }}",
                          "{{ x.y.z }}",
                          "{{ loop.index }}{{ loop.cycle() }}"}) {
    std::string msg = failure(src);
    EXPECT_NE(msg, "") << src;
    EXPECT_NE(msg.find(" at line 1:"), std::string::npos) << src << " -> " << msg;
  }
}

TEST(ChatHostile, BadContext) {
  auto t = Template::parse("{{ x }}");
  ASSERT_TRUE(t.ok());
  EXPECT_FALSE(t->render(json::array({1})).ok());
  EXPECT_TRUE(t->render(json(nullptr)).ok());
  EXPECT_FALSE(Template().render(json::object()).ok());
}

// Random token soup: whatever comes out, parse and render return, with an error or not.
TEST(ChatHostile, RandomTemplatesNeverCrash) {
  const char* pieces[] = {
      "{{",        "}}",    "{%",       "%}",       "{#",      "#}",      "-",        "+",         " ",      "\n",
      "if",        "else",  "elif",     "endif",    "for",     "in",      "endfor",   "set",       "=",      "x",
      "y",         "ns",    "macro",    "endmacro", "call",    "endcall", "(",        ")",         "[",      "]",
      "{",         "}",     ",",        ".",        ":",       "|",       "'s'",      "\"t\"",     "1",      "2.5",
      "not",       "and",   "or",       "is",       "defined", "loop",    "range",    "namespace", "raw",    "endraw",
      "~",         "*",     "**",       "//",       "%",       "trim",    "tojson",   "join",      "caller", "filter",
      "endfilter", "break", "continue", "messages", "content", "\\",      "\xc3\xa9", "\xff"};
  std::mt19937 rng(1234);
  json ctx = {{"messages", json::array({{{"role", "user"}, {"content", "hi"}}})}, {"x", 3}, {"y", "s"}};
  RenderOptions opts;
  opts.max_loop_iterations = 10000;
  opts.max_output_bytes = 1 << 20;
  int parsed = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    std::string src;
    int n = static_cast<int>(rng() % 24);
    for (int k = 0; k < n; ++k) src += pieces[rng() % std::size(pieces)];
    auto t = Template::parse(src);
    if (!t.ok()) continue;
    ++parsed;
    auto out = t->render(ctx, opts);
    (void)out;
  }
  EXPECT_GT(parsed, 100);
}

}  // namespace
}  // namespace minerva::chat
