#pragma once

#include <memory>
#include <string>
#include <vector>

#include "formats/gguf.h"
#include "kernels/matmul.h"
#include "model/hparams.h"

namespace minerva {

// One transformer block's weights. Shapes in ggml order [cols, rows]. Every architecture in
// the table is this block with optional parts switched on by data (see docs/ARCHITECTURE.md):
// a null pointer means "absent", and fused tensors (phi3's attn_qkv, ffn_up holding gate and up)
// are split into row-range views at load, so the forward pass never sees them.
struct LayerWeights {
  const float* attn_norm = nullptr;       // [n_embd]
  MatrixView wq;                          // [n_embd, q_dim]
  MatrixView wk;                          // [n_embd, kv_dim]
  MatrixView wv;                          // [n_embd, kv_dim]
  const float* bq = nullptr;              // [q_dim]   optional (qwen2: required)
  const float* bk = nullptr;              // [kv_dim]  optional
  const float* bv = nullptr;              // [kv_dim]  optional
  const float* q_norm = nullptr;          // [head_dim] per-head RMS norm before RoPE (qwen3, gemma3)
  const float* k_norm = nullptr;          // [head_dim]
  MatrixView wo;                          // [q_dim, n_embd]
  const float* bo = nullptr;              // [n_embd] optional
  const float* post_attn_norm = nullptr;  // [n_embd] on the attention output (gemma2, gemma3)
  const float* ffn_norm = nullptr;        // [n_embd]
  MatrixView ffn_gate;                    // [n_embd, n_ff]
  MatrixView ffn_up;                      // [n_embd, n_ff]
  MatrixView ffn_down;                    // [n_ff, n_embd]
  const float* post_ffn_norm = nullptr;   // [n_embd] on the FFN output (gemma2, gemma3)
};

// Loaded weights: views into the mapped GGUF file, immutable after load and safe to
// share between contexts on any thread. Keeps the file alive.
class Model {
 public:
  // Validates architecture, hyper-parameters, every tensor's presence, type and shape.
  static Result<std::shared_ptr<const Model>> load(std::shared_ptr<const GgufFile> file);

  const HParams& hparams() const { return hp_; }
  const GgufFile& file() const { return *file_; }

  MatrixView token_embd;               // [n_embd, n_vocab]
  const float* output_norm = nullptr;  // [n_embd]
  MatrixView output;                   // [n_embd, n_vocab]; token_embd when tied
  bool tied_output = false;
  std::vector<LayerWeights> layers;

  // Per-dimension RoPE frequency divisors, [n_rot / 2] each, all optional: llama3's rope_freqs
  // (the converter bakes Llama 3's scaling into it), phi3 LongRoPE's long and short sets.
  const float* rope_freqs = nullptr;
  const float* rope_long = nullptr;
  const float* rope_short = nullptr;
  // The factors a context of n_ctx_seq positions per sequence rotates with (llama.cpp's rule:
  // rope_freqs when present, else long when the context exceeds n_ctx_orig, else short), or null.
  const float* rope_factors(int64_t n_ctx_seq) const;

 private:
  std::shared_ptr<const GgufFile> file_;
  HParams hp_;
};

}  // namespace minerva
