// Architecture features that the shared llama.cpp references cannot pin down, checked against
// hand-derived expectations: RoPE angles (plain, frequency factors, linear, YaRN, attention
// factor), llama3 rope_freqs and phi3 LongRoPE selection, sliding windows on a llama-arch
// (Mistral-style) file, gemma2's soft-caps at strengths the synthetic weights never reach, and
// hyper-parameter rules (Gemma 27B query scale, per-layer window flags).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <numbers>
#include <vector>

#include "formats/gguf_writer.h"
#include "model/context.h"
#include "test_paths.h"

namespace minerva {
namespace {

// ---- RoPE angles, computed by hand ----

HParams rope_hparams(int64_t n_rot) {
  HParams hp;
  hp.n_rot = n_rot;
  hp.head_dim = n_rot;
  hp.n_ctx_orig = 4096;
  return hp;
}

TEST(RopeAngles, PlainFactorsLinearAndAttnFactor) {
  // n_rot 4, base 1e4, position 3: theta = 3 * 1e4^(-2i/4) = {3, 0.03}.
  HParams hp = rope_hparams(4);
  float c[2], s[2];
  make_rope_table(hp, RopeParams{10000.0f, 1.0f}, nullptr).angles(3, c, s);
  EXPECT_FLOAT_EQ(c[0], std::cos(3.0f));
  EXPECT_FLOAT_EQ(s[1], std::sin(0.03f));
  // llama3 / LongRoPE factors divide each pair's angle: {3 / 1, 0.03 / 2}.
  const float factors[2] = {1.0f, 2.0f};
  make_rope_table(hp, RopeParams{10000.0f, 1.0f}, factors).angles(3, c, s);
  EXPECT_FLOAT_EQ(s[0], std::sin(3.0f));
  EXPECT_FLOAT_EQ(s[1], std::sin(0.015f));
  // Linear scaling factor 4: every angle / 4.
  make_rope_table(hp, RopeParams{10000.0f, 0.25f}, nullptr).angles(3, c, s);
  EXPECT_FLOAT_EQ(c[0], std::cos(0.75f));
  EXPECT_FLOAT_EQ(s[1], std::sin(0.0075f));
  // rope.scaling.attn_factor multiplies cos and sin (phi3 LongRoPE's magnitude correction).
  hp.rope_attn_factor = 1.5f;
  make_rope_table(hp, RopeParams{10000.0f, 1.0f}, nullptr).angles(3, c, s);
  EXPECT_FLOAT_EQ(c[0], 1.5f * std::cos(3.0f));
  EXPECT_FLOAT_EQ(s[1], 1.5f * std::sin(0.03f));
}

TEST(RopeAngles, Yarn) {
  // YaRN, factor 4, n_rot 4, original context 4096, base 1e4, betas 32 / 1.
  // Correction range: n_rot * ln(4096 / (beta * 2 pi)) / (2 ln 1e4) = 0.654 (beta 32) -> floor 0,
  // 1.407 (beta 1) -> ceil 2. Ramp y = (i - 0) / 2: pair 0 fully extrapolated (ramp 1), pair 1
  // half (ramp 0.5). Magnitude: 0.1 ln 4 + 1.
  HParams hp = rope_hparams(4);
  hp.rope_scaling = RopeScaling::Yarn;
  hp.rope = RopeParams{10000.0f, 0.25f};
  RopeTable t = make_rope_table(hp, hp.rope, nullptr);
  EXPECT_FLOAT_EQ(t.corr_low, 0.0f);
  EXPECT_FLOAT_EQ(t.corr_high, 2.0f);
  float c[2], s[2];
  t.angles(3, c, s);
  const double m = 0.1 * std::log(4.0) + 1.0;
  const double a1 = 0.03 * 0.25 * 0.5 + 0.03 * 0.5;
  EXPECT_NEAR(c[0], m * std::cos(3.0), 1e-5);
  EXPECT_NEAR(s[0], m * std::sin(3.0), 1e-5);
  EXPECT_NEAR(c[1], m * std::cos(a1), 1e-5);
  EXPECT_NEAR(s[1], m * std::sin(a1), 1e-5);
}

// ---- Crafted variants of the synthetic models ----

using TensorEdit = std::function<bool(const TensorView&, std::vector<uint8_t>&)>;
using MetaEdit = std::function<void(GgufWriter&)>;

struct Crafted {
  std::vector<uint8_t> bytes;
  std::shared_ptr<const Model> model;
};

std::unique_ptr<Crafted> craft(const std::string& synth, const MetaEdit& meta = {}, const TensorEdit& edit = {},
                               const std::function<void(GgufWriter&)>& extra_tensors = {}) {
  auto src = GgufFile::open(testing::shared_path("models/synth/" + synth + ".gguf"));
  EXPECT_TRUE(src.ok());
  GgufWriter w;
  w.copy_metadata(src.value());
  if (meta) meta(w);
  for (const TensorView& t : src->tensors()) {
    std::vector<uint8_t> data(t.data, t.data + t.nbytes);
    if (edit && !edit(t, data)) continue;
    EXPECT_TRUE(w.add_tensor(t.name, t.type, std::vector<int64_t>(t.ne.begin(), t.ne.begin() + t.n_dims), data).ok());
  }
  if (extra_tensors) extra_tensors(w);
  auto c = std::make_unique<Crafted>();
  auto bytes = w.serialize();
  EXPECT_TRUE(bytes.ok());
  c->bytes = std::move(bytes.value());
  auto f = GgufFile::parse(c->bytes, synth + "-crafted.gguf");
  EXPECT_TRUE(f.ok());
  auto m = Model::load(std::make_shared<const GgufFile>(std::move(f.value())));
  EXPECT_TRUE(m.ok()) << m.error().message;
  if (m.ok()) c->model = m.value();
  return c;
}

void add_f32_vector(GgufWriter& w, const std::string& name, const std::vector<float>& v) {
  std::vector<uint8_t> data(v.size() * sizeof(float));
  std::memcpy(data.data(), v.data(), data.size());
  EXPECT_TRUE(w.add_tensor(name, TensorType::F32, {static_cast<int64_t>(v.size())}, std::move(data)).ok());
}

const std::vector<Token> kPrompt = {1, 403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426};

std::vector<float> last_logits(const std::shared_ptr<const Model>& m, const std::vector<Token>& tokens = kPrompt,
                               int64_t n_ctx = 64) {
  ThreadPool pool(2);
  Context ctx(m, n_ctx, pool);
  EXPECT_TRUE(ctx.eval(tokens).ok());
  auto l = ctx.last_logits();
  return {l.begin(), l.end()};
}

float max_diff(const std::vector<float>& a, const std::vector<float>& b) {
  float d = 0;
  for (size_t i = 0; i < a.size(); ++i) d = std::max(d, std::abs(a[i] - b[i]));
  return d;
}

// Llama 3's converter bakes its scaling into rope_freqs.weight; a tensor of all 2s must rotate
// exactly like linear scaling by 2 (theta / 2 == theta * 0.5 in floats), all 1s like none.
TEST(RopeFactors, Llama3RopeFreqsTensor) {
  auto base = craft("llama-f32");
  auto ones = craft("llama-f32", {}, {},
                    [](GgufWriter& w) { add_f32_vector(w, "rope_freqs.weight", std::vector<float>(32, 1.0f)); });
  auto twos = craft("llama-f32", {}, {},
                    [](GgufWriter& w) { add_f32_vector(w, "rope_freqs.weight", std::vector<float>(32, 2.0f)); });
  auto linear2 = craft("llama-f32", [](GgufWriter& w) {
    w.set_string("llama.rope.scaling.type", "linear");
    w.set_f32("llama.rope.scaling.factor", 2.0f);
  });
  EXPECT_EQ(last_logits(ones->model), last_logits(base->model));
  EXPECT_EQ(last_logits(twos->model), last_logits(linear2->model));
  EXPECT_GT(max_diff(last_logits(twos->model), last_logits(base->model)), 1e-3f);
}

TEST(RopeFactors, NonPositiveFactorIsAnError) {
  auto src = GgufFile::open(testing::shared_path("models/synth/llama-f32.gguf"));
  ASSERT_TRUE(src.ok());
  GgufWriter w;
  w.copy_metadata(src.value());
  for (const TensorView& t : src->tensors()) {
    ASSERT_TRUE(w.add_tensor(t.name, t.type, std::vector<int64_t>(t.ne.begin(), t.ne.begin() + t.n_dims),
                             std::span<const uint8_t>(t.data, t.nbytes))
                    .ok());
  }
  std::vector<float> factors(32, 1.0f);
  factors[5] = 0.0f;
  add_f32_vector(w, "rope_freqs.weight", factors);
  auto bytes = w.serialize();
  ASSERT_TRUE(bytes.ok());
  auto f = GgufFile::parse(bytes.value(), "bad-factors.gguf");
  ASSERT_TRUE(f.ok());
  auto m = Model::load(std::make_shared<const GgufFile>(std::move(f.value())));
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.error().message.find("'rope_freqs.weight' element 5 = 0.000000 is not a positive frequency factor"),
            std::string::npos)
      << m.error().message;
}

// phi3 LongRoPE: the short factors below the original context, the long ones above it
// (decided by the context's size per sequence, as llama.cpp does).
TEST(RopeFactors, Phi3LongRopeChoosesByContextSize) {
  auto base = craft("phi3-f32");
  auto lr = craft(
      "phi3-f32", [](GgufWriter& w) { w.set_u32("phi3.rope.scaling.original_context_length", 128); }, {},
      [](GgufWriter& w) {
        add_f32_vector(w, "rope_factors_short.weight", std::vector<float>(32, 1.0f));
        add_f32_vector(w, "rope_factors_long.weight", std::vector<float>(32, 2.0f));
      });
  auto linear2 = craft("phi3-f32", [](GgufWriter& w) { w.set_f32("phi3.rope.scaling.factor", 2.0f); });
  EXPECT_EQ(lr->model->rope_factors(128), lr->model->rope_short);
  EXPECT_EQ(lr->model->rope_factors(129), lr->model->rope_long);
  EXPECT_EQ(last_logits(lr->model, kPrompt, 128), last_logits(base->model, kPrompt, 128));
  EXPECT_EQ(last_logits(lr->model, kPrompt, 256), last_logits(linear2->model, kPrompt, 256));
}

// ---- Sliding window on a llama-architecture file (Mistral style) ----

TEST(SlidingWindow, MistralWindowLimitsTheReceptiveField) {
  auto full = craft("mistral-q8_0");
  auto wide = craft("mistral-q8_0", [](GgufWriter& w) { w.set_u32("llama.attention.sliding_window", 64); });
  auto swa = craft("mistral-q8_0", [](GgufWriter& w) { w.set_u32("llama.attention.sliding_window", 4); });
  ASSERT_EQ(swa->model->hparams().swa_layers, (std::vector<uint8_t>{1, 1}));
  // A window at least as long as the text changes nothing.
  EXPECT_EQ(last_logits(wide->model), last_logits(full->model));
  // Window 4 over 2 layers: the last position (p) sees layer-1 inputs p-3..p, which saw
  // embeddings p-6..p. A token at p-7 cannot matter; one at p-6 must.
  const auto base = last_logits(swa->model);
  EXPECT_GT(max_diff(base, last_logits(full->model)), 1e-3f);
  std::vector<Token> outside = kPrompt, inside = kPrompt;
  const size_t p = kPrompt.size() - 1;
  outside[p - 7] = 100;
  inside[p - 6] = 100;
  EXPECT_EQ(last_logits(swa->model, outside), base);
  EXPECT_GT(max_diff(last_logits(swa->model, inside), base), 1e-4f);
  // Decoding one token at a time (the generation path) windows the same way.
  ThreadPool pool(2);
  Context ctx(swa->model, 64, pool);
  for (Token t : kPrompt) ASSERT_TRUE(ctx.eval(std::span<const Token>(&t, 1)).ok());
  EXPECT_LE(max_diff(std::vector<float>(ctx.last_logits().begin(), ctx.last_logits().end()), base), 1e-5f);
}

// ---- gemma2 soft-caps at strengths that matter ----

TEST(SoftCap, FinalLogitsAreCapTimesTanh) {
  // The file's cap is 30; recover the uncapped logits, then cap them at 0.5 by hand.
  auto g30 = craft("gemma2-f32");
  auto g05 = craft("gemma2-f32", [](GgufWriter& w) { w.set_f32("gemma2.final_logit_softcapping", 0.5f); });
  const auto a = last_logits(g30->model), b = last_logits(g05->model);
  for (size_t i = 0; i < a.size(); ++i) {
    const double raw = 30.0 * std::atanh(a[i] / 30.0);
    EXPECT_NEAR(b[i], 0.5 * std::tanh(raw / 0.5), 1e-5) << i;
  }
}

TEST(SoftCap, TinyAttentionCapMakesAttentionUniform) {
  // Capped at 1e-6, every score lies within +-1e-6, so attention averages the visible values —
  // exactly what a zero query (all scores 0) does.
  auto capped = craft("gemma2-f32", [](GgufWriter& w) { w.set_f32("gemma2.attn_logit_softcapping", 1e-6f); });
  auto zero_q = craft("gemma2-f32", {}, [](const TensorView& t, std::vector<uint8_t>& data) {
    if (t.name.ends_with("attn_q.weight")) std::fill(data.begin(), data.end(), 0);
    return true;
  });
  auto plain = craft("gemma2-f32");
  const auto a = last_logits(capped->model), b = last_logits(zero_q->model);
  EXPECT_LE(max_diff(a, b), 1e-4f);
  EXPECT_GT(max_diff(a, last_logits(plain->model)), 1e-3f);  // the check can tell them apart
}

// ---- Hyper-parameter rules ----

Result<HParams> hparams_of(const MetaEdit& meta) {
  GgufWriter w;
  meta(w);
  auto bytes = w.serialize();
  if (!bytes) return bytes.error();
  auto f = GgufFile::parse(bytes.value(), "meta.gguf");
  if (!f) return f.error();
  MINERVA_TRY(std::string_view name, f->get_string("general.architecture"));
  MINERVA_TRY(const ArchInfo* arch, find_arch(name));
  return read_hparams(f.value(), *arch);
}

void base_meta(GgufWriter& w, const std::string& arch, uint32_t layers) {
  w.set_string("general.architecture", arch);
  w.set_u32(arch + ".context_length", 8192);
  w.set_u32(arch + ".embedding_length", 4608);
  w.set_u32(arch + ".block_count", layers);
  w.set_u32(arch + ".feed_forward_length", 36864);
  w.set_u32(arch + ".attention.head_count", 32);
  w.set_u32(arch + ".attention.head_count_kv", 16);
  w.set_u32(arch + ".attention.key_length", 128);
  w.set_u32(arch + ".attention.value_length", 128);
}

TEST(HParamsRules, Gemma27BScalesQueriesByEmbdPerHead) {
  // gemma2 27B: query_pre_attn_scalar = n_embd / n_head = 144, not head_dim 128.
  auto big = hparams_of([](GgufWriter& w) { base_meta(w, "gemma2", 46); });
  ASSERT_TRUE(big.ok()) << big.error().message;
  EXPECT_FLOAT_EQ(big->attn_scale, 1.0f / 12.0f);
  auto other = hparams_of([](GgufWriter& w) { base_meta(w, "gemma2", 42); });
  ASSERT_TRUE(other.ok());
  EXPECT_FLOAT_EQ(other->attn_scale, 1.0f / std::sqrt(128.0f));
  // Defaults when the file omits them: window 4096 on even layers, caps 50 / 30.
  EXPECT_EQ(other->n_swa, 4096);
  EXPECT_EQ(other->swa_layers[0], 1);
  EXPECT_EQ(other->swa_layers[1], 0);
  EXPECT_EQ(other->attn_softcap, 50.0f);
  EXPECT_EQ(other->final_softcap, 30.0f);
}

TEST(HParamsRules, Gemma3WindowPatternAndRopeBases) {
  auto hp = hparams_of([](GgufWriter& w) {
    base_meta(w, "gemma3", 12);
    w.set_u32("gemma3.attention.sliding_window", 1024);
    w.set_f32("gemma3.rope.freq_base", 1e6f);
    w.set_string("gemma3.rope.scaling.type", "linear");
    w.set_f32("gemma3.rope.scaling.factor", 8.0f);
  });
  ASSERT_TRUE(hp.ok()) << hp.error().message;
  // Default period 6: five windowed layers, then a global one.
  EXPECT_EQ(hp->swa_layers, (std::vector<uint8_t>{1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 0}));
  EXPECT_EQ(hp->rope.freq_base, 1e6f);
  EXPECT_EQ(hp->rope.freq_scale, 0.125f);  // global layers scaled
  EXPECT_EQ(hp->rope_swa.freq_base, 1e4f);
  EXPECT_EQ(hp->rope_swa.freq_scale, 1.0f);  // local layers not
  EXPECT_EQ(hp->attn_softcap, 0.0f);
  // A per-layer flag array instead of a period.
  auto arr = hparams_of([](GgufWriter& w) {
    base_meta(w, "gemma3", 3);
    w.set_u32("gemma3.attention.sliding_window", 512);
    const bool flags[3] = {false, true, true};
    w.set_array<bool>("gemma3.attention.sliding_window_pattern", flags);
  });
  ASSERT_TRUE(arr.ok()) << arr.error().message;
  EXPECT_EQ(arr->swa_layers, (std::vector<uint8_t>{0, 1, 1}));
  // Without a window key gemma3 attends globally everywhere.
  auto none = hparams_of([](GgufWriter& w) { base_meta(w, "gemma3", 6); });
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->is_swa(0));
}

TEST(HParamsRules, RopeScalingTypes) {
  auto yarn = hparams_of([](GgufWriter& w) {
    base_meta(w, "qwen2", 2);
    w.set_string("qwen2.rope.scaling.type", "yarn");
    w.set_f32("qwen2.rope.scaling.factor", 4.0f);
    w.set_u32("qwen2.rope.scaling.original_context_length", 32768);
  });
  ASSERT_TRUE(yarn.ok()) << yarn.error().message;
  EXPECT_EQ(yarn->rope_scaling, RopeScaling::Yarn);
  EXPECT_EQ(yarn->n_ctx_orig, 32768);
  auto none = hparams_of([](GgufWriter& w) {
    base_meta(w, "qwen2", 2);
    w.set_string("qwen2.rope.scaling.type", "none");
    w.set_f32("qwen2.rope.scaling.factor", 4.0f);
  });
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->rope.freq_scale, 1.0f);  // "none" never scales, as in llama.cpp
  auto bad = hparams_of([](GgufWriter& w) {
    base_meta(w, "qwen2", 2);
    w.set_string("qwen2.rope.scaling.type", "dynamic");
  });
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind, ErrorKind::Unsupported);
  EXPECT_NE(bad.error().message.find("rope.scaling.type 'dynamic'"), std::string::npos) << bad.error().message;
  // Mixtral-style llama files (experts) are another engine's job.
  auto moe = hparams_of([](GgufWriter& w) {
    base_meta(w, "llama", 2);
    w.set_u32("llama.expert_count", 8);
  });
  ASSERT_FALSE(moe.ok());
  EXPECT_EQ(moe.error().kind, ErrorKind::Unsupported);
  // qwen2 ignores a sliding-window key, as llama.cpp does.
  auto q = hparams_of([](GgufWriter& w) {
    base_meta(w, "qwen2", 2);
    w.set_u32("qwen2.attention.sliding_window", 16);
  });
  ASSERT_TRUE(q.ok());
  EXPECT_FALSE(q->is_swa(0));
}

// gemma (v1) has no shared reference: check it loads (no post norms, no caps) and produces
// finite logits from the gemma2 file's weights under gemma's names.
TEST(GemmaV1, LoadsAndRuns) {
  auto g = craft(
      "gemma2-f32",
      [](GgufWriter& w) {
        w.set_string("general.architecture", "gemma");
        for (const char* k : {"context_length", "embedding_length", "block_count", "feed_forward_length",
                              "attention.head_count", "attention.head_count_kv", "attention.layer_norm_rms_epsilon",
                              "attention.key_length", "attention.value_length"}) {
          const GgufMetaValue* v = w.find(std::string("gemma2.") + k);
          ASSERT_NE(v, nullptr) << k;
          GgufMetaValue value = *v;  // set() may move the entries v points into
          w.set(std::string("gemma.") + k, std::move(value));
        }
      },
      [](const TensorView& t, std::vector<uint8_t>&) {
        return !t.name.ends_with("post_attention_norm.weight") && !t.name.ends_with("post_ffw_norm.weight");
      });
  ASSERT_NE(g->model, nullptr);
  EXPECT_EQ(g->model->hparams().attn_softcap, 0.0f);
  EXPECT_EQ(g->model->layers[0].post_attn_norm, nullptr);
  for (float x : last_logits(g->model)) ASSERT_TRUE(std::isfinite(x));
}

}  // namespace
}  // namespace minerva
