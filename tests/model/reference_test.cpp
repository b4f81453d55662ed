// The forward pass of every supported architecture against llama.cpp's recorded outputs (../shared/reference).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "model/context.h"
#include "test_paths.h"

namespace minerva {
namespace {

struct RefCase {
  const char* model;  // relative to shared/models
  float tol;          // max |logit difference| allowed
};

// Tolerances: llama.cpp keeps the KV cache in F16 and uses F16 inside flash attention, which
// alone moves logits by ~1e-3 on the +-1 synthetic models and ~1e-2 on stories260K (+-16).
// F16/BF16 weights add llama.cpp's rounding of activations to F16/BF16 before each dot.
// Quantized weights: like llama.cpp, matmul rounds the activations to 8 bits (blocks of 32 for
// the 32-value types, Q8_K blocks of 256 for the K types) and dots them in integers. The ~1e-3
// differences llama.cpp's F16 KV cache and flash attention cause upstream flip some of those
// 8-bit roundings (on both sides, differently), so logits move by ~1e-2 even for Q8_0, whose
// weights we reproduce exactly; the float summation order of each ISA level moves them by a
// few 1e-3 more (llama.cpp's own flash-attention toggle moves Q4_K_M by 1.6e-2).
// Measured max |diff| (last logits / top-5 at every position), worst of the scalar, AVX2 and
// AVX-512 kernels; tolerances leave ~25% headroom:
//   q8_0 1.22e-2 / 1.02e-2    mistral-q8_0 1.56e-2 / 1.25e-2 (rope base 1e6)
//   q4_0 1.63e-2 / 1.29e-2    q4_1 1.41e-2 / 1.35e-2    q5_0 1.54e-2 / 1.05e-2
//   q5_1 1.63e-2 / 1.19e-2    q2_k 1.88e-2 / 1.58e-2 (Q2_K + Q3_K + Q6_K tensors)
//   q3_k_m 1.74e-2 / 1.39e-2 (Q3_K + Q4_K + Q5_K + Q6_K)    q4_k_m 1.80e-2 / 1.50e-2 (+ Q6_K)
//   q5_k_m 1.59e-2 / 1.35e-2 (+ Q6_K)    q6_k 1.39e-2 / 1.30e-2
// Other architectures (same shapes; prompt + greedy = 53 positions, so gemma2/gemma3's 16-token
// window is exercised):
//   qwen2 f32 0.69e-3 / 0.53e-3   q8_0 1.32e-2 / 1.07e-2   q4_k_m 1.69e-2 / 1.31e-2
//   qwen3 f32 0.80e-3 / 0.68e-3   q8_0 1.58e-2 / 1.41e-2   q4_k_m 1.69e-2 / 1.89e-2
//   gemma2 f32 0.89e-3 / 0.64e-3  gemma3 f32 0.88e-3 / 0.76e-3   phi3 f32 0.69e-3 / 0.57e-3
// The synthetic weights keep attention scores and logits near +-1, far below gemma2's soft-caps
// (50, 30), so those are also checked by hand-derived cases in arch_features_test.cpp.
// Those figures are for an F32 KV cache. With the F16 cache (llama.cpp's default, and ours), worst
// over the ISA levels (last / top-5): stories260K 5.2e-3 / 3.8e-3 (F32: 9.1e-3 / 8.4e-3),
// mistral-q8_0 0.99e-2 / 1.20e-2, the f32 files 0.6-0.9e-3; the quantized files move both ways
// within the same tolerances (llama.cpp's F16 rounding flips some of their 8-bit roundings
// differently), the closest being q2_k 1.99e-2 / 2.14e-2 and q5_0 1.72e-2 / 1.16e-2. The AVX-512
// GEMV (which also takes whole prompts on CPUs without AMX) sums in yet another order: qwen2
// q4_k_m 2.16e-2 and qwen3 q4_k_m 2.18e-2 last logits with the F16 cache at that level.
const RefCase kCases[] = {
    {"stories260K.gguf", 2e-2f},          {"synth/llama-f32.gguf", 2e-3f},      {"synth/llama-f16.gguf", 3e-3f},
    {"synth/llama-bf16.gguf", 1e-2f},     {"synth/llama-q8_0.gguf", 1.6e-2f},   {"synth/mistral-q8_0.gguf", 2e-2f},
    {"synth/llama-q4_0.gguf", 2.1e-2f},   {"synth/llama-q4_1.gguf", 1.8e-2f},   {"synth/llama-q5_0.gguf", 2e-2f},
    {"synth/llama-q5_1.gguf", 2.1e-2f},   {"synth/llama-q2_k.gguf", 2.4e-2f},   {"synth/llama-q3_k_m.gguf", 2.2e-2f},
    {"synth/llama-q4_k_m.gguf", 2.3e-2f}, {"synth/llama-q5_k_m.gguf", 2.1e-2f}, {"synth/llama-q6_k.gguf", 1.9e-2f},
    {"synth/qwen2-f32.gguf", 2e-3f},      {"synth/qwen2-q8_0.gguf", 1.7e-2f},   {"synth/qwen2-q4_k_m.gguf", 2.4e-2f},
    {"synth/qwen3-f32.gguf", 2e-3f},      {"synth/qwen3-q8_0.gguf", 2e-2f},     {"synth/qwen3-q4_k_m.gguf", 2.4e-2f},
    {"synth/gemma2-f32.gguf", 2e-3f},     {"synth/gemma3-f32.gguf", 2e-3f},     {"synth/phi3-f32.gguf", 2e-3f},
};

void PrintTo(const RefCase& c, std::ostream* os) { *os << c.model; }

std::string ref_path(const std::string& model) {
  std::string base = model.substr(model.rfind('/') + 1);
  return testing::shared_path("reference/" + base + ".json");
}

class ReferenceTest : public ::testing::TestWithParam<RefCase> {
 protected:
  void SetUp() override {
    std::ifstream in(ref_path(GetParam().model));
    ASSERT_TRUE(in) << ref_path(GetParam().model);
    in >> ref_;
    auto file = GgufFile::open(testing::shared_path(std::string("models/") + GetParam().model));
    ASSERT_TRUE(file.ok()) << file.error().message;
    auto model = Model::load(std::make_shared<const GgufFile>(std::move(file.value())));
    ASSERT_TRUE(model.ok()) << model.error().message;
    model_ = model.value();
    prompt_ = ref_["prompt_tokens"].get<std::vector<Token>>();
    greedy_ = ref_["greedy_tokens"].get<std::vector<Token>>();
  }

  static Token argmax(std::span<const float> l) {
    return static_cast<Token>(std::max_element(l.begin(), l.end()) - l.begin());  // first max = lowest id
  }

  nlohmann::json ref_;
  std::shared_ptr<const Model> model_;
  std::vector<Token> prompt_, greedy_;
  ThreadPool pool_{2};
};

// Every check runs with both KV cache types (F16, the default and llama.cpp's, and F32).
constexpr KvType kKvTypes[] = {KvType::F16, KvType::F32};

TEST_P(ReferenceTest, LastPositionLogitsMatch) {
  for (KvType kv : kKvTypes) {
    SCOPED_TRACE(std::string("KV cache ") + kv_type_name(kv));
    Context ctx(model_, 512, pool_, 1, kv);
    ASSERT_TRUE(ctx.eval(prompt_).ok());
    auto want = ref_["last_logits"].get<std::vector<float>>();
    auto got = ctx.last_logits();
    ASSERT_EQ(got.size(), want.size());
    float max_diff = 0;
    for (size_t i = 0; i < want.size(); ++i) max_diff = std::max(max_diff, std::abs(got[i] - want[i]));
    EXPECT_LE(max_diff, GetParam().tol);
    RecordProperty(std::string("max_abs_diff_") + kv_type_name(kv), std::to_string(max_diff));
  }
}

TEST_P(ReferenceTest, Top5AtEveryPromptPositionMatch) {
  for (KvType kv : kKvTypes) {
    SCOPED_TRACE(std::string("KV cache ") + kv_type_name(kv));
    Context ctx(model_, 512, pool_, 1, kv);
    ASSERT_TRUE(ctx.eval(prompt_, /*all_logits=*/true).ok());
    const auto& top5 = ref_["top5_per_position"];
    ASSERT_EQ(ctx.n_logit_rows(), static_cast<int64_t>(top5.size()));
    float max_diff = 0;
    for (size_t p = 0; p < top5.size(); ++p) {
      auto row = ctx.logits(static_cast<int64_t>(p));
      for (const auto& e : top5[p]) {
        EXPECT_NEAR(row[e[0].get<int>()], e[1].get<float>(), GetParam().tol) << "position " << p << " id " << e[0];
        max_diff = std::max(max_diff, std::abs(row[e[0].get<int>()] - e[1].get<float>()));
      }
    }
    RecordProperty(std::string("max_abs_diff_") + kv_type_name(kv), std::to_string(max_diff));
  }
}

// Feeds prompt + greedy[:-1] one token at a time (the decode path) and checks the argmax
// wherever llama.cpp's top-1/top-2 margin is larger than our numeric error.
TEST_P(ReferenceTest, TeacherForcedGreedyTokensMatch) {
  for (KvType kv : kKvTypes) {
    SCOPED_TRACE(std::string("KV cache ") + kv_type_name(kv));
    Context ctx(model_, 512, pool_, 1, kv);
    ASSERT_TRUE(ctx.eval(prompt_).ok());
    const auto margins = ref_["greedy_margin_per_step"].get<std::vector<float>>();
    int checked = 0;
    for (size_t step = 0; step < greedy_.size(); ++step) {
      if (step > 0) {
        ASSERT_TRUE(ctx.eval(std::span<const Token>(&greedy_[step - 1], 1)).ok());
      }
      if (margins[step] <= 2 * GetParam().tol) continue;
      EXPECT_EQ(argmax(ctx.last_logits()), greedy_[step]) << "step " << step << " margin " << margins[step];
      ++checked;
    }
    EXPECT_GT(checked, 16);
    RecordProperty(std::string("checked_steps_") + kv_type_name(kv), std::to_string(checked));
  }
}

INSTANTIATE_TEST_SUITE_P(Models, ReferenceTest, ::testing::ValuesIn(kCases), [](const auto& info) {
  std::string n = info.param.model;
  n = n.substr(n.rfind('/') + 1);
  n = n.substr(0, n.find(".gguf"));
  std::replace_if(
      n.begin(), n.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }, '_');
  return n;
});

// stories260K is trained (margins >= 0.13 everywhere), so free-running greedy must
// reproduce llama.cpp's 32 tokens exactly.
TEST(Stories260K, FreeRunningGreedyIdentical) {
  std::ifstream in(ref_path("stories260K.gguf"));
  nlohmann::json ref;
  in >> ref;
  auto file = GgufFile::open(testing::shared_path("models/stories260K.gguf"));
  ASSERT_TRUE(file.ok());
  auto model = Model::load(std::make_shared<const GgufFile>(std::move(file.value())));
  ASSERT_TRUE(model.ok());
  ThreadPool pool(2);
  Context ctx(model.value(), 512, pool);
  std::vector<Token> tokens = ref["prompt_tokens"].get<std::vector<Token>>();
  std::vector<Token> got;
  ASSERT_TRUE(ctx.eval(tokens).ok());
  for (int i = 0; i < 32; ++i) {
    auto l = ctx.last_logits();
    Token t = static_cast<Token>(std::max_element(l.begin(), l.end()) - l.begin());
    got.push_back(t);
    ASSERT_TRUE(ctx.eval(std::span<const Token>(&t, 1)).ok());
  }
  EXPECT_EQ(got, ref["greedy_tokens"].get<std::vector<Token>>());
}

}  // namespace
}  // namespace minerva
