#pragma once

#include <cstdint>
#include <string>

#include "formats/gguf.h"
#include "model/arch.h"

namespace minerva {

// Hyper-parameters of a decoder-only transformer, read from `<arch>.*` metadata keys.
struct HParams {
  std::string arch;
  RopeType rope_type = RopeType::Norm;
  int64_t n_vocab = 0;      // rows of token_embd
  int64_t n_ctx_train = 0;  // <arch>.context_length
  int64_t n_embd = 0;
  int64_t n_layer = 0;
  int64_t n_ff = 0;
  int64_t n_head = 0;
  int64_t n_head_kv = 0;
  int64_t head_dim = 0;  // attention.key_length, default n_embd / n_head
  int64_t n_rot = 0;     // rope.dimension_count, default head_dim
  float rope_freq_base = 10000.0f;
  float rms_eps = 1e-5f;

  int64_t q_dim() const { return n_head * head_dim; }
  int64_t kv_dim() const { return n_head_kv * head_dim; }
};

// Reads and validates hyper-parameters; errors name the file and key.
Result<HParams> read_hparams(const GgufFile& file, const ArchInfo& arch);

}  // namespace minerva
