// Jinja2 language features: each case is a small template with the output Python Jinja2 3.1.6
// gives under HF transformers' environment (language_cases.inc; the list_append_pop case was
// rendered with a plain Environment plus the `do` extension, since HF's immutable sandbox
// forbids list.append). Error cases must fail with Python's message, plus line:column.
#include <gtest/gtest.h>

#include <string>

#include "chat/template.h"

namespace minerva::chat {
namespace {

using json = nlohmann::ordered_json;

struct LangCase {
  const char* name;
  const char* source;
  const char* context;
  const char* expected;
  const char* error;  // Python's "Type: message"; empty when the render succeeds
};

const LangCase kCases[] = {
#include "language_cases.inc"
};

RenderOptions frozen_clock() {
  RenderOptions opts;
  std::tm tm{};
  tm.tm_year = 2025 - 1900;
  tm.tm_mday = 15;
  tm.tm_hour = 12;
  tm.tm_wday = 3;
  tm.tm_yday = 14;
  opts.now = tm;
  return opts;
}

class Language : public ::testing::TestWithParam<size_t> {};

TEST_P(Language, MatchesJinja2) {
  const LangCase& c = kCases[GetParam()];
  auto t = Template::parse(c.source);
  ASSERT_TRUE(t.ok()) << t.error().message;
  auto out = t->render(json::parse(c.context), frozen_clock());
  if (*c.error != '\0') {
    ASSERT_FALSE(out.ok()) << "expected " << c.error << ", got output: " << *out;
    EXPECT_NE(out.error().message.find(c.error), std::string::npos) << out.error().message;
    EXPECT_NE(out.error().message.find(" at line 1:"), std::string::npos) << out.error().message;
  } else {
    ASSERT_TRUE(out.ok()) << out.error().message;
    EXPECT_EQ(*out, c.expected);
  }
}

std::vector<size_t> indices() {
  std::vector<size_t> v;
  for (size_t k = 0; k < std::size(kCases); ++k) v.push_back(k);
  return v;
}

INSTANTIATE_TEST_SUITE_P(Cases, Language, ::testing::ValuesIn(indices()),
                         [](const ::testing::TestParamInfo<size_t>& info) {
                           return std::string(kCases[info.param].name);
                         });

using json = nlohmann::ordered_json;

std::string render(const std::string& src, const json& ctx = json::object()) {
  auto t = Template::parse(src);
  if (!t.ok()) return "PARSE ERROR: " + t.error().message;
  auto out = t->render(ctx);
  if (!out.ok()) return "ERROR: " + out.error().message;
  return *out;
}

TEST(ChatLanguage, ApplyChatTemplateOmitsUnsetBos) {
  auto t = Template::parse("[{{ bos_token is defined }}][{{ tools is none }}][{{ documents is none }}][{{ extra }}]");
  ASSERT_TRUE(t.ok());
  ChatTemplateInputs in;
  in.extra["extra"] = "E";
  auto out = apply_chat_template(*t, in);
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(*out, "[False][True][True][E]");
}

TEST(ChatLanguage, StrftimeNowUsesCurrentTimeByDefault) {
  char buf[16];
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  std::strftime(buf, sizeof(buf), "%Y", &tm);
  EXPECT_EQ(render("{{ strftime_now('%Y') }}"), buf);
}

TEST(ChatLanguage, TemplateIsReusable) {
  auto t = Template::parse("{% set ns = namespace(n=0) %}{% set ns.n = ns.n + x %}{{ ns.n }}");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t->render({{"x", 1}}), "1");
  EXPECT_EQ(*t->render({{"x", 2}}), "2");
}

}  // namespace
}  // namespace minerva::chat
