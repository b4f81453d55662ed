// End to end: `minerva quantize` and `minerva synth` write models the engine loads and runs,
// with the same blocks llama.cpp's quantizer writes for the same input.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "formats/gguf.h"
#include "subprocess.h"

namespace minerva {
namespace {

using testing::run_minerva;
using testing::shared_path;

const std::string kF32 = shared_path("models/synth/llama-f32.gguf");
const std::string kSpmVocab = shared_path("tokenizers/gguf/ggml-vocab-llama-spm.gguf");

// Files this process wrote, removed when the test binary ends.
std::vector<std::string>& written_files() {
  static std::vector<std::string> files;
  return files;
}

class RemoveWrittenFiles : public ::testing::Environment {
 public:
  void TearDown() override {
    for (const auto& f : written_files()) std::remove(f.c_str());
  }
};

const auto* const kCleanup = ::testing::AddGlobalTestEnvironment(new RemoveWrittenFiles);

// Per process, so that test entries run in parallel do not share files.
std::string tmp(const std::string& name) {
  std::string path = ::testing::TempDir() + "minerva_quantize_" + std::to_string(::getpid()) + "_" + name;
  written_files().push_back(path);
  return path;
}

nlohmann::json load_json(const std::string& path) {
  std::ifstream in(path);
  nlohmann::json j;
  in >> j;
  return j;
}

// Quantizes the synthetic `model` (llama, qwen2, ...) to `type` (into a file of this process);
// returns its path.
std::string quantized(const std::string& type, const std::string& model = "llama") {
  std::string out = tmp(model + "-" + type + ".gguf");
  auto r = run_minerva({"quantize", shared_path("models/synth/" + model + "-f32.gguf"), out, type});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return out;
}

struct BlockMatch {
  uint64_t blocks = 0;
  uint64_t equal = 0;
  int tensors_compared = 0;
};

// Compares every tensor of `ours` with the same-named tensor of `theirs` block by block,
// where both have the same type.
BlockMatch compare_blocks(const std::string& ours, const std::string& theirs) {
  BlockMatch m;
  auto a = GgufFile::open(ours);
  auto b = GgufFile::open(theirs);
  EXPECT_TRUE(a.ok() && b.ok());
  if (!a.ok() || !b.ok()) return m;
  EXPECT_EQ(a->tensors().size(), b->tensors().size());
  for (const TensorView& t : a->tensors()) {
    const TensorView* u = b->find_tensor(t.name);
    EXPECT_NE(u, nullptr) << t.name;
    if (u == nullptr) continue;
    EXPECT_EQ(t.type, u->type) << t.name;
    if (t.type != u->type || t.nbytes != u->nbytes) continue;
    const auto info = tensor_type_info(static_cast<uint32_t>(t.type));
    const uint64_t bb = info->block_bytes;
    for (uint64_t off = 0; off < t.nbytes; off += bb) {
      ++m.blocks;
      m.equal += std::memcmp(t.data + off, u->data + off, bb) == 0 ? 1 : 0;
    }
    ++m.tensors_compared;
  }
  return m;
}

// A model of ../shared/models/synth/ that llama.cpp's quantizer also wrote from MODEL-f32.gguf
// (MODEL-TYPE.gguf), and the logit tolerance tests/model/reference_test.cpp gives that file.
struct LlamaCppFile {
  std::string model;
  std::string type;
  float tol;
};

void PrintTo(const LlamaCppFile& c, std::ostream* os) { *os << c.model << "-" << c.type; }

class QuantizeMatchesLlamaCpp : public ::testing::TestWithParam<LlamaCppFile> {};

// Our quantizer follows ggml's reference formulas and llama.cpp's per-tensor type rules, so the
// blocks are bit-identical to the ones llama.cpp wrote from the same F32 file, and the tensor
// types (output Q6_K for Q4_0; Q2_K's Q3_K attn_v / attn_output / ffn_down; Q3_K_M's Q5_K attn_v
// and Q4_K ffn_down / attn_output; qwen2's tied token_embd at Q6_K) agree.
TEST_P(QuantizeMatchesLlamaCpp, SameBlocks) {
  const auto& [model, type, tol] = GetParam();
  const std::string ours = quantized(type, model);
  const std::string theirs_path = shared_path("models/synth/" + model + "-" + type + ".gguf");
  const BlockMatch m = compare_blocks(ours, theirs_path);
  std::printf("%s-%s: %llu of %llu blocks identical to llama.cpp's (%d tensors)\n", model.c_str(), type.c_str(),
              static_cast<unsigned long long>(m.equal), static_cast<unsigned long long>(m.blocks), m.tensors_compared);
  EXPECT_GT(m.blocks, 0u);
  EXPECT_EQ(m.equal, m.blocks);
  auto f = GgufFile::open(ours);
  ASSERT_TRUE(f.ok());
  auto theirs = GgufFile::open(theirs_path);
  ASSERT_TRUE(theirs.ok());
  EXPECT_EQ(f->get_uint("general.file_type").value(), theirs->get_uint("general.file_type").value());
}

// The quantized file runs, and its last-position logits are close to llama.cpp's for its own
// quantization of the same type: with identical blocks only the engines differ, so the
// tolerance is the one the reference test uses for llama.cpp's file.
TEST_P(QuantizeMatchesLlamaCpp, LogitsCloseToReference) {
  const auto& [model, type, tol] = GetParam();
  const std::string ours = quantized(type, model);
  auto ref = load_json(shared_path("reference/" + model + "-" + type + ".gguf.json"));
  std::string toks;
  for (auto& t : ref["prompt_tokens"]) toks += (toks.empty() ? "" : ",") + std::to_string(t.get<int>());
  auto r = run_minerva({"logits", "-m", ours, "--tokens", toks, "-t", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  auto want = ref["last_logits"].get<std::vector<float>>();
  auto got = j["logits"][0].get<std::vector<float>>();
  ASSERT_EQ(got.size(), want.size());
  float max_diff = 0.0f;
  for (size_t i = 0; i < got.size(); ++i) max_diff = std::max(max_diff, std::fabs(got[i] - want[i]));
  std::printf("%s-%s: max |logit - llama.cpp| = %g (tolerance %g)\n", model.c_str(), type.c_str(), max_diff, tol);
  EXPECT_LE(max_diff, tol);

  auto run = run_minerva({"run", "-m", ours, "-p", "Once upon a time", "-n", "8", "--temp", "0", "-t", "2"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.err.find("generated: 8 tokens"), std::string::npos) << run.err;
}

INSTANTIATE_TEST_SUITE_P(
    Files, QuantizeMatchesLlamaCpp,
    ::testing::Values(LlamaCppFile{"llama", "f16", 3e-3f}, LlamaCppFile{"llama", "bf16", 1e-2f},
                      LlamaCppFile{"llama", "q8_0", 1.6e-2f}, LlamaCppFile{"llama", "q4_0", 2.1e-2f},
                      LlamaCppFile{"llama", "q4_1", 1.8e-2f}, LlamaCppFile{"llama", "q5_0", 2e-2f},
                      LlamaCppFile{"llama", "q5_1", 2.1e-2f}, LlamaCppFile{"llama", "q2_k", 2.4e-2f},
                      LlamaCppFile{"llama", "q3_k_m", 2.2e-2f}, LlamaCppFile{"llama", "q4_k_m", 2.3e-2f},
                      LlamaCppFile{"llama", "q5_k_m", 2.1e-2f}, LlamaCppFile{"llama", "q6_k", 1.9e-2f},
                      LlamaCppFile{"qwen2", "q4_k_m", 2.4e-2f}),
    [](const auto& info) { return info.param.model + "_" + info.param.type; });

// Every other supported type produces a file that loads and predicts close to the F32 model.
class QuantizeRuns : public ::testing::TestWithParam<std::string> {};

TEST_P(QuantizeRuns, LogitsNearF32) {
  const std::string ours = quantized(GetParam());
  auto ref = load_json(shared_path("reference/llama-f32.gguf.json"));
  std::string toks;
  for (auto& t : ref["prompt_tokens"]) toks += (toks.empty() ? "" : ",") + std::to_string(t.get<int>());
  auto r = run_minerva({"logits", "-m", ours, "--tokens", toks, "-t", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto got = nlohmann::json::parse(r.out)["logits"][0].get<std::vector<float>>();
  auto want = ref["last_logits"].get<std::vector<float>>();
  ASSERT_EQ(got.size(), want.size());
  double se = 0.0, sw = 0.0;
  for (size_t i = 0; i < got.size(); ++i) {
    se += (got[i] - want[i]) * (got[i] - want[i]);
    sw += want[i] * want[i];
  }
  // Random weights have no structure a quantizer could keep, so the logits move by ~2-3 times the
  // weights' relative error (quantize_test.cpp): measured 0.24 for Q4_1, 0.37 for Q3_K and
  // 0.57 for Q2_K's 4 levels.
  const double bound = GetParam() == "q2_k" ? 0.7 : GetParam() == "q3_k" ? 0.45 : 0.35;
  std::printf("%s: logit RMSE relative to F32 = %.4f (bound %.2f)\n", GetParam().c_str(), std::sqrt(se / sw), bound);
  EXPECT_LT(std::sqrt(se / sw), bound);
}

INSTANTIATE_TEST_SUITE_P(Types, QuantizeRuns,
                         ::testing::Values("f16", "bf16", "q4_1", "q5_0", "q5_1", "q2_k", "q3_k", "q3_k_m", "q4_k",
                                           "q4_k_m", "q5_k", "q6_k"));

// Plain Q3_K is llama.cpp's Q3_K_S mix (file type 11): Q3_K everywhere but the output.
TEST(Quantize, PlainQ3KIsTheQ3KSMix) {
  auto f = GgufFile::open(quantized("Q3_K"));
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->get_uint("general.file_type").value(), 11u);
  int q3 = 0;
  for (const TensorView& t : f->tensors()) {
    if (t.n_dims == 1) {
      EXPECT_EQ(t.type, TensorType::F32) << t.name;
    } else if (t.name == "output.weight") {
      EXPECT_EQ(t.type, TensorType::Q6_K);
    } else {
      EXPECT_EQ(t.type, TensorType::Q3_K) << t.name;
      ++q3;
    }
  }
  EXPECT_EQ(q3, 15);
}

// Q2_K gives attn_v Q4_K (not Q3_K) once 4 or more query heads share each KV head, as llama.cpp.
TEST(Quantize, Q2KAttnVFollowsHeadsPerKvHead) {
  const std::string out = tmp("synth-gqa4-q2_k.gguf");
  auto r = run_minerva({"synth", "--dim", "256", "--layers", "1", "--heads", "8", "--kv-heads", "2", "--ffn", "256",
                        "--vocab-from", kSpmVocab, "--seed", "5", "--type", "Q2_K", "-o", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto f = GgufFile::open(out);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->find_tensor("blk.0.attn_v.weight")->type, TensorType::Q4_K);
  EXPECT_EQ(f->find_tensor("blk.0.attn_q.weight")->type, TensorType::Q2_K);
  EXPECT_EQ(f->get_uint("general.file_type").value(), 10u);
}

TEST(Quantize, HelpListsEveryType) {
  auto r = run_minerva({"quantize", "--help"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* type : {"F16", "BF16", "Q8_0", "Q4_0", "Q2_K", "Q3_K_S", "Q3_K_M", "Q4_K_M", "Q5_K_M", "Q6_K"}) {
    EXPECT_NE(r.out.find(type), std::string::npos) << type << " missing from:\n" << r.out;
  }
}

TEST(Synth, WritesARunnableModel) {
  const std::string out = tmp("synth-q8_0.gguf");
  auto r = run_minerva({"synth", "--dim",  "256", "--layers",     "2",       "--heads",     "4",      "--kv-heads",
                        "2",     "--ffn",  "512", "--vocab-from", kSpmVocab, "--rope-base", "500000", "--ctx",
                        "256",   "--seed", "7",   "--type",       "Q4_0",    "-o",          out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto f = GgufFile::open(out);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->find_tensor("blk.1.ffn_down.weight")->type, TensorType::Q4_0);
  EXPECT_EQ(f->find_tensor("output.weight")->type, TensorType::Q6_K);
  EXPECT_EQ(f->find_tensor("blk.0.attn_norm.weight")->type, TensorType::F32);
  EXPECT_EQ(f->find_tensor("token_embd.weight")->ne[1], 32000);
  EXPECT_EQ(f->get_uint("general.file_type").value(), 2u);
  EXPECT_EQ(f->get_float("llama.rope.freq_base").value(), 500000.0);
  auto run = run_minerva({"run", "-m", out, "-p", "Hello world", "-n", "4", "--temp", "0", "-t", "2"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.err.find("generated: 4 tokens"), std::string::npos) << run.err;
}

// The qwen2 shape of ../shared/perf (scaled down): q/k/v biases, no output.weight (the
// embedding is the output, typed as llama.cpp types a tied output), and it runs.
TEST(Synth, WritesARunnableQwen2WithTiedOutput) {
  const std::string out = tmp("synth-qwen2.gguf");
  auto r = run_minerva({"synth",   "--arch",     "qwen2", "--dim",  "128",    "--layers",     "2",       "--heads",
                        "2",       "--kv-heads", "1",     "--ffn",  "384",    "--vocab-from", kSpmVocab, "--rope-base",
                        "1000000", "--rms-eps",  "1e-6",  "--type", "Q4_K_M", "-o",           out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto f = GgufFile::open(out);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->get_string("general.architecture").value(), "qwen2");
  EXPECT_EQ(f->find_tensor("output.weight"), nullptr);
  EXPECT_EQ(f->find_tensor("blk.1.attn_k.bias")->type, TensorType::F32);
  EXPECT_EQ(f->find_tensor("blk.1.attn_k.bias")->ne[0], 64);
  // 128 values per row fit no K-quant: the output-typed embedding falls back from Q6_K to Q8_0.
  EXPECT_EQ(f->find_tensor("token_embd.weight")->type, TensorType::Q8_0);
  EXPECT_EQ(f->get_float("qwen2.attention.layer_norm_rms_epsilon").value(), 1e-6f);
  auto run = run_minerva({"run", "-m", out, "-p", "Hello world", "-n", "4", "--temp", "0", "-t", "2"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.err.find("generated: 4 tokens"), std::string::npos) << run.err;
}

TEST(Synth, SameSeedSameWeightsAndQuantizeOfF32MatchesDirect) {
  const std::vector<std::string> base = {"synth", "--dim", "256",          "--layers", "1",      "--heads", "2",
                                         "--ffn", "256",   "--vocab-from", kSpmVocab,  "--seed", "3"};
  auto with = [&](std::vector<std::string> extra) {
    auto args = base;
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  };
  const std::string f32 = tmp("synth-f32.gguf"), q = tmp("synth-direct-q8_0.gguf"), q2 = tmp("synth-requant.gguf");
  ASSERT_EQ(run_minerva(with({"--type", "F32", "-o", f32})).exit_code, 0);
  ASSERT_EQ(run_minerva(with({"--type", "Q8_0", "-o", q})).exit_code, 0);
  ASSERT_EQ(run_minerva({"quantize", f32, q2, "Q8_0"}).exit_code, 0);
  const BlockMatch m = compare_blocks(q, q2);
  EXPECT_GT(m.blocks, 0u);
  EXPECT_EQ(m.equal, m.blocks);
}

struct ErrorCase {
  std::vector<std::string> args;
  std::string expect;
};

void PrintTo(const ErrorCase& c, std::ostream* os) { *os << c.expect; }

class QuantizeErrors : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(QuantizeErrors, OneClearLine) { testing::expect_one_line_error(GetParam().args, GetParam().expect); }

INSTANTIATE_TEST_SUITE_P(
    Cases, QuantizeErrors,
    ::testing::Values(ErrorCase{{"quantize", "/nonexistent/in.gguf", tmp("x.gguf"), "Q4_0"},
                                "/nonexistent/in.gguf: no such file"},
                      ErrorCase{{"quantize", kF32, tmp("x.gguf"), "Q3_XL"},
                                "unsupported quantization type 'Q3_XL' (supported: F32, F16, BF16, Q8_0, Q4_0"},
                      ErrorCase{{"quantize", shared_path("models/synth/llama-q8_0.gguf"), tmp("x.gguf"), "Q4_0"},
                                "input is already quantized"},
                      ErrorCase{{"synth", "--dim", "100", "--layers", "1", "--heads", "3", "--ffn", "64",
                                 "--vocab-from", kSpmVocab, "-o", tmp("x.gguf")},
                                "--dim 100 is not a multiple of --heads 3"}),
    [](const auto& info) { return "case" + std::to_string(info.index); });

}  // namespace
}  // namespace minerva
