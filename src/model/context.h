#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "kernels/thread_pool.h"
#include "model/model.h"

namespace minerva {

using Token = int32_t;

// Keys and values of every layer for positions [0, n_ctx), F32.
struct KVCache {
  int64_t n_ctx = 0;
  int64_t kv_dim = 0;
  std::vector<std::vector<float>> k;  // per layer: (n_ctx, kv_dim)
  std::vector<std::vector<float>> v;  // per layer: (n_ctx, kv_dim)
};

// One sequence's inference state: the KV cache, scratch buffers and the latest logits.
// Not thread-safe; the model it points to is shared and immutable.
class Context {
 public:
  // n_ctx: positions the KV cache holds (clamped to >= 1). pool: compute threads, shared.
  Context(std::shared_ptr<const Model> model, int64_t n_ctx, ThreadPool& pool);

  const Model& model() const { return *model_; }
  int64_t n_ctx() const { return kv_.n_ctx; }
  int64_t n_past() const { return n_past_; }  // tokens already in the cache
  int64_t n_vocab() const { return model_->hparams().n_vocab; }

  // Runs tokens at positions n_past().. and appends them to the cache. With all_logits,
  // logits of every token are kept (row i = after token i), else only the last row.
  // Errors: token id out of range, or the context would overflow.
  Status eval(std::span<const Token> tokens, bool all_logits = false);

  // Logits rows from the latest eval(): one per token with all_logits, else one.
  int64_t n_logit_rows() const { return n_logit_rows_; }
  std::span<const float> logits(int64_t row) const;
  std::span<const float> last_logits() const { return logits(n_logit_rows_ - 1); }

  // Forgets positions >= n (n <= n_past()); used to restart a sequence.
  void truncate(int64_t n);

 private:
  void eval_batch(std::span<const Token> tokens, bool all_logits, int64_t logits_offset);
  void attention(int64_t layer, int64_t n_tokens);

  std::shared_ptr<const Model> model_;
  ThreadPool& pool_;
  KVCache kv_;
  int64_t n_past_ = 0;
  // Scratch, sized for a batch of up to max_batch_ tokens.
  int64_t max_batch_ = 0;
  std::vector<float> x_, xb_, q_, k_, v_, att_, gate_, up_, ffn_out_;
  std::vector<float> rope_cos_, rope_sin_;  // (batch, n_rot/2)
  std::vector<float> logits_;
  int64_t n_logit_rows_ = 0;
};

}  // namespace minerva
