// The built-in templates (--chat-template NAME) render like the real models' templates: each
// one with a shared counterpart passes that template's conformance cases.
#include "chat/builtin_templates.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "chat/template.h"
#include "test_paths.h"

namespace minerva::chat {
namespace {

using json = nlohmann::ordered_json;

Template builtin(const std::string& name) {
  const char* src = builtin_template(name);
  EXPECT_NE(src, nullptr) << name;
  auto t = Template::parse(src == nullptr ? "" : src);
  EXPECT_TRUE(t.ok()) << name << ": " << (t.ok() ? "" : t.error().message);
  return t.ok() ? t.value() : Template::parse("").value();
}

std::string render(const Template& t, const json& messages, bool gen, const char* bos = "<s>",
                   const char* eos = "</s>") {
  ChatTemplateInputs in;
  in.messages = messages;
  in.add_generation_prompt = gen;
  if (bos != nullptr) in.bos_token = bos;
  if (eos != nullptr) in.eos_token = eos;
  auto out = apply_chat_template(t, in);
  EXPECT_TRUE(out.ok()) << (out.ok() ? "" : out.error().message);
  return out.ok() ? *out : "";
}

TEST(BuiltinTemplates, AllNamesParse) {
  EXPECT_EQ(builtin_template_list(), "chatml, llama2, llama3, mistral, gemma, phi3, qwen");
  for (const auto& name : builtin_template_names()) {
    ASSERT_NE(builtin_template(name), nullptr) << name;
    EXPECT_TRUE(Template::parse(builtin_template(name)).ok()) << name;
  }
  EXPECT_EQ(builtin_template("nosuch"), nullptr);
  EXPECT_EQ(builtin_template(""), nullptr);
}

// Runs every case of shared chat-templates/<shared>.expected.json through the built-in `name`
// (skipping tool cases when `skip_tools`) and expects the same output or error.
void expect_matches_shared(const std::string& name, const std::string& shared, bool skip_tools) {
  std::ifstream in(minerva::testing::shared_path("chat-templates/" + shared + ".expected.json"));
  ASSERT_TRUE(in) << "missing shared " << shared;
  json cases = json::parse(in);
  const Template t = builtin(name);
  int checked = 0;
  for (const json& c : cases) {
    const std::string case_name = c.value("case", std::string());
    if (skip_tools && (c.contains("tools") || case_name.rfind("tool_call", 0) == 0)) continue;
    ChatTemplateInputs inputs;
    inputs.messages = c["messages"];
    inputs.tools = c.contains("tools") ? c["tools"] : json(nullptr);
    inputs.add_generation_prompt = c.value("add_generation_prompt", false);
    if (c["bos_token"].is_string()) inputs.bos_token = c["bos_token"].get<std::string>();
    if (c["eos_token"].is_string()) inputs.eos_token = c["eos_token"].get<std::string>();
    auto out = apply_chat_template(t, inputs);
    ++checked;
    if (c.value("expected_error", false)) {
      EXPECT_FALSE(out.ok()) << name << " " << case_name << ": expected an error";
    } else {
      ASSERT_TRUE(out.ok()) << name << " " << case_name << ": " << out.error().message;
      EXPECT_EQ(*out, c["expected"].get<std::string>()) << name << " " << case_name;
    }
  }
  EXPECT_GE(checked, 10) << name;
}

TEST(BuiltinTemplates, ChatmlMatchesShared) { expect_matches_shared("chatml", "chatml", false); }
TEST(BuiltinTemplates, Llama3MatchesShared) { expect_matches_shared("llama3", "llama3-instruct-lenml", false); }
TEST(BuiltinTemplates, GemmaMatchesShared) { expect_matches_shared("gemma", "google-gemma-2-2b-it", false); }
TEST(BuiltinTemplates, Phi3MatchesShared) { expect_matches_shared("phi3", "microsoft-Phi-3-mini-4k-instruct", false); }
TEST(BuiltinTemplates, QwenMatchesSharedWithoutTools) {
  expect_matches_shared("qwen", "Qwen-Qwen2.5-7B-Instruct", true);
}

const json kConversation = json::parse(R"([
  {"role": "system", "content": "Be brief."},
  {"role": "user", "content": "Hi"},
  {"role": "assistant", "content": "Hello!"},
  {"role": "user", "content": "Bye"}
])");

TEST(BuiltinTemplates, Llama2Format) {
  const Template t = builtin("llama2");
  EXPECT_EQ(render(t, kConversation, true),
            "<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST] Hello! </s><s>[INST] Bye [/INST]");
  EXPECT_EQ(render(t, json::parse(R"([{"role": "user", "content": " Hi "}])"), true), "<s>[INST] Hi [/INST]");
}

TEST(BuiltinTemplates, MistralFormat) {
  const Template t = builtin("mistral");
  EXPECT_EQ(render(t, kConversation, true), "<s>[INST] Be brief.\n\nHi [/INST]Hello!</s>[INST] Bye [/INST]");
  EXPECT_EQ(render(t, json::parse(R"([{"role": "user", "content": "Hi"}])"), true), "<s>[INST] Hi [/INST]");
}

TEST(BuiltinTemplates, RolesMustAlternate) {
  const json bad = json::parse(R"([{"role": "user", "content": "a"}, {"role": "user", "content": "b"}])");
  for (const char* name : {"llama2", "mistral", "gemma"}) {
    ChatTemplateInputs in;
    in.messages = bad;
    in.bos_token = "<s>";
    in.eos_token = "</s>";
    auto out = apply_chat_template(builtin(name), in);
    ASSERT_FALSE(out.ok()) << name;
    EXPECT_NE(out.error().message.find("alternate"), std::string::npos) << name << ": " << out.error().message;
  }
}

TEST(BuiltinTemplates, QwenDefaultSystemPrompt) {
  EXPECT_EQ(render(builtin("qwen"), json::parse(R"([{"role": "user", "content": "Hi"}])"), true, nullptr, "<|im_end|>"),
            "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
            "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
}

}  // namespace
}  // namespace minerva::chat
