// `minerva tokenize` end to end: runs the built binary on stories260K and compares with llama.cpp's ids.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "subprocess.h"
#include "tokenizer_fixtures.h"

namespace minerva {
namespace {

struct RunResult {
  int exit_code = -1;
  std::string output;  // stdout, or stdout+stderr when asked
};

RunResult run(const std::string& args, bool with_stderr = false) {
  const testing::ProcessResult p = testing::run_minerva_shell("tokenize " + args);
  return {p.exit_code, with_stderr ? p.out + p.err : p.out};
}

std::string model() { return testing::shared_path("models/stories260K.gguf"); }

nlohmann::json reference() {
  return nlohmann::json::parse(testing::read_file(testing::shared_path("reference/stories260K.gguf.json")));
}

std::string ids_line(const std::vector<Token>& ids) {
  std::string s = "[";
  for (size_t i = 0; i < ids.size(); ++i) s += (i > 0 ? ", " : "") + std::to_string(ids[i]);
  return s + "]\n";
}

TEST(TokenizerCli, IdsMatchReference) {
  const auto ref = reference();
  const std::string prompt = ref.at("prompt_text").get<std::string>();  // no quotes or shell metacharacters
  const RunResult r = run("-m '" + model() + "' --ids -p '" + prompt + "'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, ids_line(ref.at("prompt_tokens").get<std::vector<Token>>()));
}

TEST(TokenizerCli, DefaultListsPieces) {
  const RunResult r = run("-m '" + model() + "' -p 'Once upon'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "     1 -> '<s>'\n   403 -> ' Once'\n   407 -> ' upon'\n");
}

TEST(TokenizerCli, FlagsAndFileInput) {
  const std::string path = ::testing::TempDir() + "minerva_tokenize_input.txt";
  FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  std::fputs("<s>Once", f);
  std::fclose(f);
  EXPECT_EQ(run("-m '" + model() + "' --ids -f '" + path + "'").output, "[1, 1, 403]\n");
  EXPECT_EQ(run("-m '" + model() + "' --ids --no-add-special -f '" + path + "'").output, "[1, 403]\n");
  const RunResult plain = run("-m '" + model() + "' --ids --no-add-special --no-parse-special -f '" + path + "'");
  EXPECT_EQ(plain.exit_code, 0);
  EXPECT_EQ(plain.output.find("[1,"), std::string::npos) << plain.output;
  std::remove(path.c_str());
}

void expect_one_line_error(const RunResult& r) {
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_EQ(r.output.rfind("minerva: ", 0), 0u) << r.output;
  EXPECT_EQ(r.output.find('\n'), r.output.size() - 1) << r.output;
}

TEST(TokenizerCli, Errors) {
  expect_one_line_error(run("-m /nonexistent/model.gguf -p hi", true));
  expect_one_line_error(run("-m '" + testing::shared_path("models/SOURCES.md") + "' -p hi", true));  // not GGUF
  expect_one_line_error(run("-m '" + model() + "' -f /nonexistent/input.txt", true));
  expect_one_line_error(run("-m '" + model() + "' -p hi -f /nonexistent/input.txt", true));
  expect_one_line_error(run("-m '" + model() + "'", true));
  expect_one_line_error(run("-p hi", true));
}

}  // namespace
}  // namespace minerva

namespace minerva {
namespace {

// tokenizer.json through the CLI: a directory (with tokenizer_config.json) and the file itself, against the
// shared HF vectors.
TEST(TokenizerCli, HuggingFaceTokenizerJson) {
  const std::string dir = testing::shared_path("tokenizers/hf/llama2");
  const auto cases = nlohmann::json::parse(testing::read_file(dir + "/expected.json"));
  const nlohmann::json* with = nullptr;
  const nlohmann::json* without = nullptr;
  for (const auto& c : cases) {
    if (c.at("text") != "Hello World") continue;
    (c.at("add_special_tokens").get<bool>() ? with : without) = &c;
  }
  ASSERT_NE(with, nullptr);
  ASSERT_NE(without, nullptr);
  const RunResult a = run("-m '" + dir + "' --ids -p 'Hello World'");
  ASSERT_EQ(a.exit_code, 0) << a.output;
  EXPECT_EQ(a.output, ids_line(with->at("ids").get<std::vector<Token>>()));
  const RunResult b = run("-m '" + dir + "/tokenizer.json' --ids --no-add-special -p 'Hello World'");
  ASSERT_EQ(b.exit_code, 0) << b.output;
  EXPECT_EQ(b.output, ids_line(without->at("ids").get<std::vector<Token>>()));
  const RunResult pieces = run("-m '" + dir + "' -p 'Hello'");
  EXPECT_EQ(pieces.output, "     1 -> '<s>'\n 15043 -> ' Hello'\n");
}

TEST(TokenizerCli, BadTokenizerJsonIsOneLineError) {
  const std::string dir = ::testing::TempDir() + "minerva_bad_tokenizer";
  std::filesystem::create_directories(dir);
  FILE* f = std::fopen((dir + "/tokenizer.json").c_str(), "wb");
  ASSERT_NE(f, nullptr);
  std::fputs(R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}, "pre_tokenizer": {"type": "Nope"}})", f);
  std::fclose(f);
  const RunResult r = run("-m '" + dir + "' -p hi", true);
  expect_one_line_error(r);
  EXPECT_NE(r.output.find("pre_tokenizer.type"), std::string::npos) << r.output;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace minerva
