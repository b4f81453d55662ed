#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "formats/gguf.h"
#include "model/arch.h"

namespace minerva {

// How rotary angles are stretched for contexts beyond the trained one (`<arch>.rope.scaling.type`).
// Per-dimension frequency factors (llama3's rope_freqs, phi3's LongRoPE long/short tensors) are
// weights, in Model; they combine with any of these.
enum class RopeScaling { None, Linear, Yarn };
const char* rope_scaling_name(RopeScaling s);

// One rotation setting: theta_i = pos * freq_scale * base^(-2i/n_rot) / factor_i.
struct RopeParams {
  float freq_base = 10000.0f;
  float freq_scale = 1.0f;  // 1 / rope.scaling.factor
};

// Hyper-parameters of a decoder-only transformer, read from `<arch>.*` metadata keys plus the
// architecture table's switches. Plain data, immutable after load.
struct HParams {
  std::string arch;
  RopeType rope_type = RopeType::Norm;
  FfnAct ffn_act = FfnAct::Silu;
  bool scale_embeddings = false;
  bool qk_norm = false;
  bool post_norms = false;
  int64_t n_vocab = 0;      // rows of token_embd
  int64_t n_ctx_train = 0;  // <arch>.context_length
  int64_t n_embd = 0;
  int64_t n_layer = 0;
  int64_t n_ff = 0;
  int64_t n_head = 0;
  int64_t n_head_kv = 0;
  int64_t head_dim = 0;  // attention.key_length, default n_embd / n_head
  int64_t n_rot = 0;     // rope.dimension_count, default head_dim
  float rms_eps = 1e-5f;

  // Rotary embeddings.
  RopeParams rope;      // global (non-windowed) layers
  RopeParams rope_swa;  // windowed layers (gemma3: base 1e4, no scaling)
  RopeScaling rope_scaling = RopeScaling::None;
  int64_t n_ctx_orig = 0;         // rope.scaling.original_context_length, default n_ctx_train
  float rope_attn_factor = 1.0f;  // rope.scaling.attn_factor: multiplies cos/sin (phi3 LongRoPE)
  float yarn_beta_fast = 32.0f;   // llama.cpp's defaults for the YaRN ramp
  float yarn_beta_slow = 1.0f;

  // Attention.
  float attn_scale = 0.0f;          // multiplies q.k before softmax
  float attn_softcap = 0.0f;        // s -> cap * tanh(s / cap) on attention scores; 0 = off
  float final_softcap = 0.0f;       // the same on output logits; 0 = off
  int64_t n_swa = 0;                // sliding window: query at p sees keys p - n_swa < k <= p; 0 = none
  std::vector<uint8_t> swa_layers;  // per layer: 1 when windowed (size n_layer)

  int64_t q_dim() const { return n_head * head_dim; }
  int64_t kv_dim() const { return n_head_kv * head_dim; }
  bool is_swa(int64_t layer) const { return n_swa > 0 && swa_layers[static_cast<size_t>(layer)] != 0; }
  const RopeParams& rope_for(int64_t layer) const { return is_swa(layer) ? rope_swa : rope; }
};

// Reads and validates hyper-parameters; errors name the file and key.
Result<HParams> read_hparams(const GgufFile& file, const ArchInfo& arch);

}  // namespace minerva
