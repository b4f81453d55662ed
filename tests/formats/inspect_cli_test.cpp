// `minerva inspect`, run as the real binary: its report on stories260K, --json, and the one-line
// errors (exit status 1) for a missing path, a directory, a non-GGUF file and a truncated one.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>

#include "subprocess.h"
#include "test_paths.h"

namespace minerva::testing {
namespace {

namespace fs = std::filesystem;

using RunResult = ProcessResult;

std::string quoted(const std::string& s) { return shell_quote(s); }

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

class InspectCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("minerva-inspect-test-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Runs `minerva <args>` (already shell-quoted), capturing stdout and stderr separately.
  RunResult run(const std::string& args) { return run_minerva_shell(args); }

  // An error run: exit status 1, nothing on stdout, exactly one stderr line "minerva: <path>...".
  void expect_one_line_error(const RunResult& r, const std::string& path, const std::string& problem) {
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err.rfind("minerva: " + path, 0), 0u) << r.err;
    EXPECT_NE(r.err.find(problem), std::string::npos) << r.err;
    ASSERT_FALSE(r.err.empty());
    EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "not one line: " << r.err;
  }

  fs::path dir_;
};

bool has_line(const std::string& text, const std::string& pattern) {
  return std::regex_search(text, std::regex("(^|\n)" + pattern + "(\n|$)"));
}

TEST_F(InspectCli, Stories260K) {
  const std::string model = shared_path("models/stories260K.gguf");
  const RunResult r = run("inspect " + quoted(model));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  const std::string& o = r.out;
  EXPECT_TRUE(has_line(o, "file: +" + model)) << o;
  EXPECT_TRUE(has_line(o, "version: +GGUF v3"));
  EXPECT_TRUE(has_line(o, "size: +1185376 bytes \\(1\\.13 MiB\\)"));
  EXPECT_TRUE(has_line(o, "alignment: +32"));
  EXPECT_TRUE(has_line(o, "data offset: +14176"));
  EXPECT_TRUE(has_line(o, "metadata: +19 keys"));
  EXPECT_TRUE(has_line(o, "tensors: +48"));
  EXPECT_TRUE(has_line(o, " +general\\.architecture += \"llama\""));
  EXPECT_TRUE(has_line(o, " +tokenizer\\.ggml\\.tokens += \\[512 strings: \"<unk>\", \"<s>\", \"</s>\", \\.\\.\\.\\]"));
  EXPECT_TRUE(has_line(o, " +llama\\.attention\\.layer_norm_rms_epsilon += 1e-05"));
  EXPECT_TRUE(has_line(o, " +token_embd\\.weight +F32 +\\[64, 512\\] +131072 +14176"));
  EXPECT_TRUE(has_line(o, " +blk\\.4\\.ffn_norm\\.weight +F32 +\\[64\\] +256 +1185120"));
  EXPECT_TRUE(has_line(o, " +architecture: +llama"));
  EXPECT_TRUE(has_line(o, " +parameters: +293K \\(292800\\)"));
  EXPECT_TRUE(has_line(o, " +context length: +2048"));
  EXPECT_TRUE(has_line(o, " +embedding length: +64"));
  EXPECT_TRUE(has_line(o, " +layers: +5"));
  EXPECT_TRUE(has_line(o, " +heads: +8"));
  EXPECT_TRUE(has_line(o, " +KV heads: +4"));
  EXPECT_TRUE(has_line(o, " +vocab size: +512"));
  EXPECT_TRUE(has_line(o, " +tensor types: +F32: 48"));
  // From the blank line before "tensors:" to the native engine section: the title, the table
  // header, 48 rows, a blank line, "summary:" and its 9 lines (no general.file_type here).
  const size_t tensors_at = o.find("\n\ntensors:\n") + 1;
  const std::string tensors_section = o.substr(tensors_at, o.find("\nnative engine:\n") - tensors_at);
  EXPECT_EQ(std::count(tensors_section.begin(), tensors_section.end(), '\n'), 1 + 1 + 1 + 48 + 1 + 1 + 9);
  EXPECT_TRUE(has_line(o, " +rope type: +norm"));
  EXPECT_TRUE(has_line(o, " +sliding window: +none"));
}

// What the native engine makes of each architecture: rope type and scaling, windows, soft-caps.
TEST_F(InspectCli, ArchitectureParameters) {
  const RunResult g2 = run("inspect " + quoted(shared_path("models/synth/gemma2-f32.gguf")));
  ASSERT_EQ(g2.exit_code, 0) << g2.err;
  EXPECT_TRUE(has_line(g2.out, "native engine:"));
  EXPECT_TRUE(has_line(g2.out, " +rope type: +neox"));
  EXPECT_TRUE(has_line(g2.out, " +rope scaling: +none"));
  EXPECT_TRUE(has_line(g2.out, " +sliding window: +16"));
  EXPECT_TRUE(has_line(g2.out, " +windowed layers: +1 of 2 layers \\(0\\)"));
  EXPECT_TRUE(has_line(g2.out, " +attn soft-cap: +50\\.0"));
  EXPECT_TRUE(has_line(g2.out, " +final soft-cap: +30\\.0"));
  EXPECT_TRUE(has_line(g2.out, " +ffn activation: +gelu-tanh"));
  const RunResult g3 = run("inspect --json " + quoted(shared_path("models/synth/gemma3-f32.gguf")));
  ASSERT_EQ(g3.exit_code, 0) << g3.err;
  const auto j = nlohmann::json::parse(g3.out);
  const auto& e = j["native_engine"];
  EXPECT_EQ(e["supported"], true);
  EXPECT_EQ(e["rope_type"], "neox");
  EXPECT_EQ(e["rope_base"], 1e6);
  EXPECT_EQ(e["rope_base_windowed"], 1e4);
  EXPECT_EQ(e["sliding_window"], 16);
  EXPECT_EQ(e["attn_soft_cap"], "none");
  const RunResult l = run("inspect " + quoted(shared_path("models/synth/llama-f32.gguf")));
  EXPECT_TRUE(has_line(l.out, " +rope type: +norm"));
  EXPECT_TRUE(has_line(l.out, " +output: +output\\.weight"));
}

TEST_F(InspectCli, QuantizedFileType) {
  const RunResult r = run("inspect " + quoted(shared_path("models/synth/llama-q4_k_m.gguf")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(has_line(r.out, " +tensor types: +F32: 5, Q4_K: 13, Q6_K: 3"));
  EXPECT_TRUE(has_line(r.out, " +file type: +Q4_K_M \\(15\\)"));
}

TEST_F(InspectCli, VocabOnlyFile) {
  const RunResult r = run("inspect " + quoted(shared_path("tokenizers/gguf/ggml-vocab-gpt-2.gguf")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(has_line(r.out, "tensors: +0"));
  EXPECT_TRUE(has_line(r.out, " +vocab size: +50257"));
  EXPECT_TRUE(has_line(r.out, " +KV heads: +\\(= heads\\)"));
  EXPECT_TRUE(has_line(r.out, " +tensor types: +none"));
  EXPECT_TRUE(has_line(r.out, " +not supported: .*architecture 'gpt2' is not supported by the native engine")) << r.out;
}

TEST_F(InspectCli, Json) {
  const RunResult r = run("inspect --json " + quoted(shared_path("models/stories260K.gguf")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(j.is_discarded()) << r.out.substr(0, 500);
  EXPECT_EQ(j["version"], 3);
  EXPECT_EQ(j["data_offset"], 14176);
  EXPECT_EQ(j["metadata"]["general.architecture"]["type"], "string");
  EXPECT_EQ(j["metadata"]["general.architecture"]["value"], "llama");
  EXPECT_EQ(j["metadata"]["llama.context_length"]["value"], 2048);
  EXPECT_EQ(j["metadata"]["llama.attention.layer_norm_rms_epsilon"]["value"], 1e-05);
  const auto& tokens = j["metadata"]["tokenizer.ggml.tokens"]["value"];
  EXPECT_EQ(tokens["count"], 512);
  EXPECT_EQ(tokens["values"][2], "</s>");
  EXPECT_EQ(tokens["truncated"], true);
  ASSERT_EQ(j["tensors"].size(), 48u);
  EXPECT_EQ(j["tensors"][0]["name"], "token_embd.weight");
  EXPECT_EQ(j["tensors"][0]["shape"], nlohmann::json::array({64, 512}));
  EXPECT_EQ(j["tensors"][0]["file_offset"], 14176);
  EXPECT_EQ(j["summary"]["architecture"], "llama");
  EXPECT_EQ(j["summary"]["parameters"], 292800);
  EXPECT_EQ(j["summary"]["context_length"], 2048);
  EXPECT_EQ(j["summary"]["kv_heads"], 4);
  EXPECT_EQ(j["summary"]["vocab_size"], 512);
  EXPECT_EQ(j["summary"]["tensor_types"]["F32"], 48);
}

TEST_F(InspectCli, MissingFile) {
  const std::string path = (dir_ / "does-not-exist.gguf").string();
  expect_one_line_error(run("inspect " + quoted(path)), path, "no such file");
}

TEST_F(InspectCli, Directory) {
  const std::string path = dir_.string();
  expect_one_line_error(run("inspect " + quoted(path)), path, "is a directory");
}

TEST_F(InspectCli, NotGguf) {
  const std::string path = (dir_ / "notes.txt").string();
  std::ofstream(path) << "hello, this is not a model\n";
  expect_one_line_error(run("inspect " + quoted(path)), path, "not a GGUF file");
}

TEST_F(InspectCli, EmptyFile) {
  const std::string path = (dir_ / "empty.gguf").string();
  std::ofstream(path).flush();
  expect_one_line_error(run("inspect " + quoted(path)), path, "empty");
}

TEST_F(InspectCli, Truncated) {
  const std::string model = read_text(shared_path("models/stories260K.gguf"));
  ASSERT_GT(model.size(), 5000u);
  const std::string path = (dir_ / "truncated.gguf").string();
  std::ofstream(path, std::ios::binary) << model.substr(0, 5000);
  expect_one_line_error(run("inspect " + quoted(path)), path, "at byte 4996: truncated");
}

TEST_F(InspectCli, NoModelArgument) {
  const RunResult r = run("inspect");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("model"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace minerva::testing
