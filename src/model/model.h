#pragma once

#include <memory>
#include <string>
#include <vector>

#include "formats/gguf.h"
#include "kernels/matmul.h"
#include "model/hparams.h"

namespace minerva {

// One transformer block's weights (llama layout). Shapes in ggml order [cols, rows].
struct LlamaLayer {
  const float* attn_norm = nullptr;  // [n_embd]
  MatrixView wq;                     // [n_embd, q_dim]
  MatrixView wk;                     // [n_embd, kv_dim]
  MatrixView wv;                     // [n_embd, kv_dim]
  MatrixView wo;                     // [q_dim, n_embd]
  const float* ffn_norm = nullptr;   // [n_embd]
  MatrixView ffn_gate;               // [n_embd, n_ff]
  MatrixView ffn_up;                 // [n_embd, n_ff]
  MatrixView ffn_down;               // [n_ff, n_embd]
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
  std::vector<LlamaLayer> layers;

 private:
  std::shared_ptr<const GgufFile> file_;
  HParams hp_;
};

}  // namespace minerva
