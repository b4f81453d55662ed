// End to end: `minerva template render` reproduces the shared Jinja2 renders, and
// `minerva run --chat` formats the prompt with a chat template.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "subprocess.h"

namespace minerva {
namespace {

using json = nlohmann::ordered_json;
using testing::run_minerva;
using testing::shared_path;

json read_json(const std::string& path) {
  std::ifstream in(path);
  return json::parse(in);
}

std::string write_temp(const std::string& name, const std::string& text) {
  std::string path = ::testing::TempDir() + name;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

void expect_renders_like_shared(const std::string& name) {
  const std::string tmpl = shared_path("chat-templates/" + name + ".jinja");
  const std::string cases_path = shared_path("chat-templates/" + name + ".expected.json");
  auto r = run_minerva({"template", "render", tmpl, cases_path, "--now", "2025-01-15T12:00:00"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json cases = read_json(cases_path);
  const json got = json::parse(r.out);
  ASSERT_TRUE(got.is_array());
  ASSERT_EQ(got.size(), cases.size());
  for (size_t k = 0; k < cases.size(); ++k) {
    const std::string label = name + " case " + std::to_string(k) + " (" + cases[k].value("case", "") + ")";
    ASSERT_TRUE(got[k].is_object()) << label;
    ASSERT_EQ(got[k].size(), 1U) << label;
    if (cases[k].value("expected_error", false)) {
      EXPECT_TRUE(got[k].contains("error")) << label << ": " << got[k].dump();
    } else {
      ASSERT_TRUE(got[k].contains("output")) << label << ": " << got[k].dump();
      EXPECT_EQ(got[k]["output"].get<std::string>(), cases[k]["expected"].get<std::string>()) << label;
    }
  }
}

TEST(TemplateCli, RendersLlama32WithFrozenDate) { expect_renders_like_shared("meta-llama-Llama-3.2-3B-Instruct"); }
TEST(TemplateCli, RendersGemma2WithErrors) { expect_renders_like_shared("google-gemma-2-2b-it"); }
TEST(TemplateCli, RendersQwen25WithTools) { expect_renders_like_shared("Qwen-Qwen2.5-7B-Instruct"); }
TEST(TemplateCli, RendersHermesToolUse) { expect_renders_like_shared("NousResearch-Hermes-3-Llama-3.1-8B-tool_use"); }
TEST(TemplateCli, RendersGptOss) { expect_renders_like_shared("openai-gpt-oss-120b"); }

TEST(TemplateCli, NullBosIsUndefined) {
  const std::string tmpl = write_temp("tpl_bos.jinja", "{{ bos_token is defined }}|{{ eos_token }}");
  const std::string cases = write_temp(
      "tpl_bos.json", R"([{"messages": [], "bos_token": null, "eos_token": "E"}, {"messages": [], "bos_token": "B"}])");
  auto r = run_minerva({"template", "render", tmpl, cases});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out), json::parse(R"([{"output": "False|E"}, {"output": "True|"}])"));
}

TEST(TemplateCli, ErrorsAreOneLine) {
  const std::string good = write_temp("tpl_good.jinja", "x");
  const std::string cases = write_temp("tpl_cases.json", "[]");
  const std::string bad_json = write_temp("tpl_bad.json", "[{");
  const std::string bad_tmpl = write_temp("tpl_bad.jinja", "{% if %}");
  const std::vector<std::vector<std::string>> calls = {
      {"template", "render", "/nonexistent/t.jinja", cases},
      {"template", "render", good, "/nonexistent/cases.json"},
      {"template", "render", good, bad_json},
      {"template", "render", bad_tmpl, cases},
      {"template", "render", good, cases, "--now", "yesterday"},
  };
  for (const auto& args : calls) {
    auto r = run_minerva(args);
    EXPECT_EQ(r.exit_code, 1) << args[2] << " " << args[3];
    EXPECT_EQ(r.err.rfind("minerva: ", 0), 0U) << r.err;
    EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << r.err;
    EXPECT_EQ(r.out, "");
  }
  auto ok = run_minerva({"template", "render", good, cases});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(json::parse(ok.out), json::array());
}

const std::string kStories = shared_path("models/stories260K.gguf");

TEST(CliRunChat, RendersChatmlForModelWithoutTemplate) {
  auto r =
      run_minerva({"run", "-m", kStories, "-p", "Once upon a time", "--chat", "-n", "8", "--temp", "0", "-t", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("<|im_start|>user\nOnce upon a time<|im_end|>\n<|im_start|>assistant\n", 0), 0U) << r.out;
  EXPECT_NE(r.err.find("generated: 8 tokens"), std::string::npos) << r.err;
}

TEST(CliRunChat, BuiltinTemplateDoesNotDoubleBos) {
  // llama2 writes bos_token itself, and the tokenizer adds one too; --chat drops the second.
  auto prompt_tokens = [](const std::string& err) {
    const size_t at = err.find("prompt: ");
    return at == std::string::npos ? -1 : std::stoi(err.substr(at + 8));
  };
  auto chat = run_minerva(
      {"run", "-m", kStories, "-p", "Hi", "--chat", "--chat-template", "llama2", "-n", "1", "--temp", "0", "-t", "2"});
  ASSERT_EQ(chat.exit_code, 0) << chat.err;
  EXPECT_EQ(chat.out.rfind("<s>[INST] Hi [/INST]", 0), 0U) << chat.out;
  auto plain = run_minerva({"run", "-m", kStories, "-p", "<s>[INST] Hi [/INST]", "-n", "1", "--temp", "0", "-t", "2"});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_EQ(prompt_tokens(chat.err) + 1, prompt_tokens(plain.err)) << chat.err << "\n" << plain.err;
}

TEST(CliRunChat, UnknownTemplateNameListsBuiltins) {
  auto r = run_minerva({"run", "-m", kStories, "-p", "Hi", "--chat", "--chat-template", "nosuch", "-n", "1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("chatml, llama2, llama3, mistral, gemma, phi3, qwen"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace minerva
