// `minerva tokenize` end to end: runs the built binary on stories260K and compares with llama.cpp's ids.
#include <gtest/gtest.h>

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
