// Model loading: what the architecture table and metadata make of each file, and clear errors.
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

// What each synthetic file's metadata and the architecture table make of it.
TEST(ModelLoad, ArchitectureSwitchesFromMetadata) {
  struct Want {
    const char* file;
    RopeType rope;
    FfnAct act;
    bool tied;
    float rope_base;
    std::vector<uint8_t> swa_layers;
    int64_t n_swa;
    float attn_softcap, final_softcap;
  };
  const Want wants[] = {
      {"llama-f32", RopeType::Norm, FfnAct::Silu, false, 1e4f, {0, 0}, 0, 0, 0},
      {"mistral-q8_0", RopeType::Norm, FfnAct::Silu, false, 1e6f, {0, 0}, 0, 0, 0},
      {"qwen2-f32", RopeType::Neox, FfnAct::Silu, true, 1e6f, {0, 0}, 0, 0, 0},
      {"qwen3-f32", RopeType::Neox, FfnAct::Silu, true, 1e6f, {0, 0}, 0, 0, 0},
      {"phi3-f32", RopeType::Neox, FfnAct::Silu, false, 1e4f, {0, 0}, 0, 0, 0},
      {"gemma2-f32", RopeType::Neox, FfnAct::GeluTanh, true, 1e4f, {1, 0}, 16, 50, 30},
      {"gemma3-f32", RopeType::Neox, FfnAct::GeluTanh, true, 1e6f, {1, 0}, 16, 0, 0},
  };
  for (const Want& w : wants) {
    SCOPED_TRACE(w.file);
    auto m = load(std::string("models/synth/") + w.file + ".gguf");
    ASSERT_TRUE(m.ok()) << m.error().message;
    const HParams& hp = m.value()->hparams();
    EXPECT_EQ(hp.rope_type, w.rope);
    EXPECT_EQ(hp.ffn_act, w.act);
    EXPECT_EQ(m.value()->tied_output, w.tied);
    EXPECT_EQ(hp.rope.freq_base, w.rope_base);
    EXPECT_EQ(hp.swa_layers, w.swa_layers);
    EXPECT_EQ(hp.n_swa, w.n_swa);
    EXPECT_EQ(hp.attn_softcap, w.attn_softcap);
    EXPECT_EQ(hp.final_softcap, w.final_softcap);
    EXPECT_FLOAT_EQ(hp.attn_scale, 0.125f);  // 1/sqrt(head_dim 64) everywhere at this size
  }
  auto g3 = load("models/synth/gemma3-f32.gguf");
  ASSERT_TRUE(g3.ok());
  EXPECT_EQ(g3.value()->hparams().rope_swa.freq_base, 1e4f);  // windowed layers: rope.freq_base_swa
  EXPECT_TRUE(g3.value()->hparams().qk_norm);
  auto phi = load("models/synth/phi3-f32.gguf");
  ASSERT_TRUE(phi.ok());
  // Fused attn_qkv / ffn_up are split into row ranges of the same tensor.
  const LayerWeights& l = phi.value()->layers[0];
  EXPECT_EQ(l.wk.data, l.wq.data + 256 * l.wq.row_bytes);
  EXPECT_EQ(l.wv.data, l.wk.data + 128 * l.wk.row_bytes);
  EXPECT_EQ(l.ffn_up.data, l.ffn_gate.data + 768 * l.ffn_gate.row_bytes);
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

namespace minerva {
namespace {

// Two sequences decoded together in one batch (continuous batching) give the same logits as
// each decoded alone, and positions must continue each sequence's cache.
TEST(ContextDecode, MixedBatchEqualsSeparateSequences) {
  auto m = load("models/stories260K.gguf");
  ASSERT_TRUE(m.ok());
  ThreadPool pool(2);
  const std::vector<Token> a = {1, 403, 407, 261, 378}, b = {1, 376, 298, 315};
  Context solo(m.value(), 32, pool, 1), solo_b(m.value(), 32, pool, 1), both(m.value(), 32, pool, 2);
  ASSERT_TRUE(solo.eval(a).ok());
  std::vector<float> la(solo.last_logits().begin(), solo.last_logits().end());
  ASSERT_TRUE(solo_b.eval(b).ok());
  std::vector<float> lb(solo_b.last_logits().begin(), solo_b.last_logits().end());
  // Prefill b's first 2 tokens alone, then one batch: the rest of a and the rest of b, interleaved.
  ASSERT_TRUE(both.eval(std::span<const Token>(b.data(), 2), false, 1).ok());
  std::vector<BatchEntry> batch;
  for (size_t i = 0; i < a.size(); ++i) {
    batch.push_back({a[i], 0, static_cast<int64_t>(i), i + 1 == a.size()});
    if (i + 2 < b.size()) batch.push_back({b[i + 2], 1, static_cast<int64_t>(i + 2), i + 3 == b.size()});
  }
  ASSERT_TRUE(both.decode(batch).ok());
  ASSERT_EQ(both.n_logit_rows(), 2);
  // b finishes first in batch order, so its row comes first.
  auto rb = both.logits(0), ra = both.logits(1);
  for (size_t i = 0; i < la.size(); ++i) {
    EXPECT_NEAR(ra[i], la[i], 1e-4f);
    EXPECT_NEAR(rb[i], lb[i], 1e-4f);
  }
  EXPECT_EQ(both.n_past(0), 5);
  EXPECT_EQ(both.n_past(1), 4);
}

TEST(ContextDecode, RejectsGapsAndUnknownSequencesWithoutSideEffects) {
  auto m = load("models/stories260K.gguf");
  ASSERT_TRUE(m.ok());
  ThreadPool pool(1);
  Context ctx(m.value(), 8, pool, 2);
  std::vector<BatchEntry> gap = {{1, 0, 0, false}, {2, 0, 2, true}};
  auto s = ctx.decode(gap);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("expected 1"), std::string::npos) << s.error().message;
  EXPECT_EQ(ctx.n_past(0), 0);
  std::vector<BatchEntry> bad_seq = {{1, 2, 0, true}};
  EXPECT_FALSE(ctx.decode(bad_seq).ok());
  std::vector<BatchEntry> ok = {{1, 1, 0, true}};
  EXPECT_TRUE(ctx.decode(ok).ok());
  ctx.truncate(0, 1);
  EXPECT_EQ(ctx.n_past(1), 0);
  EXPECT_TRUE(ctx.decode(ok).ok());  // a cleared sequence starts again at position 0
}

}  // namespace
}  // namespace minerva
