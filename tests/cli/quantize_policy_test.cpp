// The per-tensor type mixes of `minerva quantize` / `minerva synth`, rule by rule, against
// llama.cpp's llama_tensor_get_type (dense models). The synthetic 2-layer llama only exercises
// some of them end to end (tests/integration/quantize_cli_test.cpp compares whole files with
// llama.cpp's); layer-count and head-ratio dependent choices are checked here.
#include "cli/quantize_policy.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace minerva::cli {
namespace {

const std::vector<int64_t> kMatrix = {4096, 4096};  // rows of 4096: every block type fits

TensorType type_of(const std::string& preset, const std::string& name, const QuantModelShape& shape,
                   const std::vector<int64_t>& ne = kMatrix) {
  const auto p = find_quant_preset(preset);
  EXPECT_TRUE(p.has_value()) << preset;
  return quant_type_for(*p, name, ne, shape, TensorType::F32);
}

std::string blk(int layer, const std::string& what) { return "blk." + std::to_string(layer) + "." + what + ".weight"; }

TEST(QuantizePolicy, PresetsCarryLlamaCppFileTypes) {
  const std::pair<const char*, uint32_t> want[] = {
      {"f32", 0},     {"F16", 1},     {"BF16", 32},   {"Q4_0", 2},    {"Q4_1", 3},
      {"Q8_0", 7},    {"Q5_0", 8},    {"Q5_1", 9},    {"q2_k", 10},   {"Q3_K", 11},
      {"Q3_K_S", 11}, {"Q3_K_M", 12}, {"Q4_K_M", 15}, {"Q5_K_M", 17}, {"Q6_K", 18},
  };
  for (const auto& [name, ftype] : want) {
    const auto p = find_quant_preset(name);
    ASSERT_TRUE(p.has_value()) << name;
    EXPECT_EQ(p->ftype, ftype) << name;
  }
  EXPECT_FALSE(find_quant_preset("Q3_K_L").has_value());
  EXPECT_NE(quant_preset_names().find("Q2_K, Q3_K, Q3_K_S, Q3_K_M"), std::string::npos) << quant_preset_names();
}

TEST(QuantizePolicy, Q2K) {
  const QuantModelShape gqa2{32, 2, true}, gqa4{32, 4, true};
  EXPECT_EQ(type_of("Q2_K", blk(5, "attn_v"), gqa2), TensorType::Q3_K);
  EXPECT_EQ(type_of("Q2_K", blk(5, "attn_v"), gqa4), TensorType::Q4_K);  // 4+ query heads share a V
  for (int layer : {0, 17, 31}) {
    EXPECT_EQ(type_of("Q2_K", blk(layer, "ffn_down"), gqa2), TensorType::Q3_K);
    EXPECT_EQ(type_of("Q2_K", blk(layer, "attn_output"), gqa2), TensorType::Q3_K);
    EXPECT_EQ(type_of("Q2_K", blk(layer, "attn_q"), gqa2), TensorType::Q2_K);
    EXPECT_EQ(type_of("Q2_K", blk(layer, "attn_k"), gqa2), TensorType::Q2_K);
    EXPECT_EQ(type_of("Q2_K", blk(layer, "ffn_gate"), gqa2), TensorType::Q2_K);
    EXPECT_EQ(type_of("Q2_K", blk(layer, "ffn_up"), gqa2), TensorType::Q2_K);
  }
  EXPECT_EQ(type_of("Q2_K", "output.weight", gqa2), TensorType::Q6_K);
  EXPECT_EQ(type_of("Q2_K", "token_embd.weight", gqa2), TensorType::Q2_K);
  EXPECT_EQ(type_of("Q2_K", blk(0, "attn_norm"), gqa2, {4096}), TensorType::F32);  // 1-D stays
}

TEST(QuantizePolicy, Q3KM) {
  const QuantModelShape s{32, 4, true};
  // attn_v: the first two get Q5_K, the rest Q4_K; ffn_down: the first 32 / 16 = 2 layers Q5_K.
  EXPECT_EQ(type_of("Q3_K_M", blk(0, "attn_v"), s), TensorType::Q5_K);
  EXPECT_EQ(type_of("Q3_K_M", blk(1, "attn_v"), s), TensorType::Q5_K);
  EXPECT_EQ(type_of("Q3_K_M", blk(2, "attn_v"), s), TensorType::Q4_K);
  EXPECT_EQ(type_of("Q3_K_M", blk(31, "attn_v"), s), TensorType::Q4_K);
  EXPECT_EQ(type_of("Q3_K_M", blk(1, "ffn_down"), s), TensorType::Q5_K);
  EXPECT_EQ(type_of("Q3_K_M", blk(2, "ffn_down"), s), TensorType::Q4_K);
  EXPECT_EQ(type_of("Q3_K_M", blk(31, "ffn_down"), s), TensorType::Q4_K);
  // With 2 layers, 2 / 16 = 0: no ffn_down gets Q5_K (llama-q3_k_m.gguf has both at Q4_K).
  EXPECT_EQ(type_of("Q3_K_M", blk(0, "ffn_down"), {2, 2, true}), TensorType::Q4_K);
  EXPECT_EQ(type_of("Q3_K_M", blk(7, "attn_output"), s), TensorType::Q4_K);
  EXPECT_EQ(type_of("Q3_K_M", blk(7, "attn_qkv"), s), TensorType::Q4_K);
  EXPECT_EQ(type_of("Q3_K_M", blk(7, "attn_q"), s), TensorType::Q3_K);
  EXPECT_EQ(type_of("Q3_K_M", blk(7, "ffn_up"), s), TensorType::Q3_K);
  EXPECT_EQ(type_of("Q3_K_M", "output.weight", s), TensorType::Q6_K);
  EXPECT_EQ(type_of("Q3_K_M", "token_embd.weight", s), TensorType::Q3_K);
}

TEST(QuantizePolicy, PlainQ3KIsQ3KEverywhereButTheOutput) {
  const QuantModelShape s{32, 4, true};
  for (const char* preset : {"Q3_K", "Q3_K_S"}) {
    for (const char* what : {"attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down"}) {
      EXPECT_EQ(type_of(preset, blk(0, what), s), TensorType::Q3_K) << preset << " " << what;
    }
    EXPECT_EQ(type_of(preset, "output.weight", s), TensorType::Q6_K);
  }
}

TEST(QuantizePolicy, Q4KMAndQ5KMUseMoreBits) {
  const QuantModelShape s{32, 4, true};
  // use_more_bits(i, 32): i < 4, i >= 28, or (i - 4) % 3 == 2.
  for (int i = 0; i < 32; ++i) {
    const bool more = i < 4 || i >= 28 || (i - 4) % 3 == 2;
    EXPECT_EQ(type_of("Q4_K_M", blk(i, "attn_v"), s), more ? TensorType::Q6_K : TensorType::Q4_K) << i;
    EXPECT_EQ(type_of("Q5_K_M", blk(i, "ffn_down"), s), more ? TensorType::Q6_K : TensorType::Q5_K) << i;
  }
  EXPECT_EQ(type_of("Q4_K_M", blk(5, "attn_qkv"), s), TensorType::Q5_K);
  EXPECT_EQ(type_of("Q5_K_M", blk(5, "attn_qkv"), s), TensorType::Q6_K);
  EXPECT_EQ(type_of("Q4_K", blk(0, "attn_v"), s), TensorType::Q4_K);  // plain: no mix
}

// Without output.weight the token embedding is also the output matrix and gets its type.
TEST(QuantizePolicy, TiedEmbeddingTakesTheOutputType) {
  const QuantModelShape tied{24, 7, false};
  EXPECT_EQ(type_of("Q4_K_M", "token_embd.weight", tied), TensorType::Q6_K);
  EXPECT_EQ(type_of("Q2_K", "token_embd.weight", tied), TensorType::Q6_K);
  EXPECT_EQ(type_of("Q4_0", "token_embd.weight", tied), TensorType::Q6_K);
  EXPECT_EQ(type_of("Q8_0", "token_embd.weight", tied), TensorType::Q8_0);
  EXPECT_EQ(type_of("BF16", "token_embd.weight", tied), TensorType::BF16);
}

TEST(QuantizePolicy, FloatTargetsConvertEveryMatrix) {
  const QuantModelShape s{32, 4, true};
  for (const char* name : {"output.weight", "token_embd.weight", "blk.3.attn_v.weight"}) {
    EXPECT_EQ(type_of("BF16", name, s), TensorType::BF16) << name;
    EXPECT_EQ(type_of("F16", name, s), TensorType::F16) << name;
  }
  EXPECT_EQ(type_of("BF16", blk(0, "ffn_norm"), s, {4096}), TensorType::F32);
}

// A K type whose 256-value block does not divide the row falls back as llama.cpp does (Q2_K /
// Q3_K to Q4_0 where llama.cpp writes IQ4_NL, a type Minerva does not produce); a row no block
// divides keeps its type.
TEST(QuantizePolicy, RowsTheBlockDoesNotDivide) {
  const QuantModelShape s{32, 4, true};
  const std::vector<int64_t> row96 = {96, 64}, row100 = {100, 64};
  EXPECT_EQ(type_of("Q2_K", blk(0, "attn_q"), s, row96), TensorType::Q4_0);
  EXPECT_EQ(type_of("Q3_K_M", blk(0, "attn_q"), s, row96), TensorType::Q4_0);
  EXPECT_EQ(type_of("Q3_K_M", blk(0, "attn_v"), s, row96), TensorType::Q5_1);  // Q5_K -> Q5_1
  EXPECT_EQ(type_of("Q3_K_M", blk(9, "attn_v"), s, row96), TensorType::Q5_0);  // Q4_K -> Q5_0
  EXPECT_EQ(type_of("Q2_K", "output.weight", s, row96), TensorType::Q8_0);
  EXPECT_EQ(type_of("Q2_K", blk(0, "attn_q"), s, row100), TensorType::F32);
}

TEST(QuantizePolicy, LayerIndex) {
  EXPECT_EQ(layer_index("blk.0.attn_q.weight"), 0);
  EXPECT_EQ(layer_index("blk.117.ffn_down.weight"), 117);
  EXPECT_EQ(layer_index("output.weight"), -1);
  EXPECT_EQ(layer_index("blk.x.attn_q.weight"), -1);
}

}  // namespace
}  // namespace minerva::cli
