// Model loading: clear errors for files the native engine cannot run.
#include <gtest/gtest.h>

#include "model/context.h"
#include "test_paths.h"

namespace minerva {
namespace {

Result<std::shared_ptr<const Model>> load(const std::string& rel) {
  auto file = GgufFile::open(testing::shared_path(rel));
  if (!file) return file.error();
  return Model::load(std::make_shared<const GgufFile>(std::move(file.value())));
}

TEST(ModelLoad, StoriesHyperParameters) {
  auto m = load("models/stories260K.gguf");
  ASSERT_TRUE(m.ok()) << m.error().message;
  const HParams& hp = m.value()->hparams();
  EXPECT_EQ(hp.n_embd, 64);
  EXPECT_EQ(hp.n_layer, 5);
  EXPECT_EQ(hp.n_head, 8);
  EXPECT_EQ(hp.n_head_kv, 4);
  EXPECT_EQ(hp.head_dim, 8);
  EXPECT_EQ(hp.n_ff, 172);
  EXPECT_EQ(hp.n_vocab, 512);
  EXPECT_EQ(hp.n_ctx_train, 2048);
  EXPECT_FALSE(m.value()->tied_output);  // stories260K has its own output.weight
}

TEST(ModelLoad, UnsupportedArchitectureIsNamed) {
  auto m = load("models/synth/qwen2-f32.gguf");
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.error().message.find("unsupported architecture 'qwen2'"), std::string::npos) << m.error().message;
  EXPECT_NE(m.error().message.find("supported: llama"), std::string::npos) << m.error().message;
  EXPECT_NE(m.error().message.find("qwen2-f32.gguf"), std::string::npos) << m.error().message;
}

TEST(ModelLoad, UnsupportedTensorTypeIsNamed) {
  auto m = load("models/synth/llama-q8_0.gguf");
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.error().message.find("type Q8_0"), std::string::npos) << m.error().message;
  EXPECT_NE(m.error().message.find("token_embd.weight"), std::string::npos) << m.error().message;
}

TEST(ContextEval, RejectsOutOfRangeTokensAndOverflow) {
  auto m = load("models/stories260K.gguf");
  ASSERT_TRUE(m.ok());
  ThreadPool pool(1);
  Context ctx(m.value(), 4, pool);
  std::vector<Token> bad = {1, 512};
  auto s = ctx.eval(bad);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("512"), std::string::npos);
  std::vector<Token> five = {1, 2, 3, 4, 5};
  EXPECT_FALSE(ctx.eval(five).ok());
  EXPECT_EQ(ctx.n_past(), 0);
  std::vector<Token> four = {1, 2, 3, 4};
  EXPECT_TRUE(ctx.eval(four).ok());
  EXPECT_FALSE(ctx.eval(std::vector<Token>{1}).ok());  // full
}

// Evaluating a prompt in one batch and token by token gives the same logits.
TEST(ContextEval, BatchedAndIncrementalAgree) {
  auto m = load("models/stories260K.gguf");
  ASSERT_TRUE(m.ok());
  ThreadPool pool(2);
  std::vector<Token> toks = {1, 403, 407, 261, 378, 432, 383};
  Context a(m.value(), 64, pool), b(m.value(), 64, pool);
  ASSERT_TRUE(a.eval(toks).ok());
  for (Token t : toks) ASSERT_TRUE(b.eval(std::vector<Token>{t}).ok());
  auto la = a.last_logits(), lb = b.last_logits();
  for (size_t i = 0; i < la.size(); ++i) EXPECT_NEAR(la[i], lb[i], 1e-4f);
}

}  // namespace
}  // namespace minerva
