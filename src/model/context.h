#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "kernels/thread_pool.h"
#include "model/attention.h"
#include "model/model.h"
#include "model/rope.h"

namespace minerva {

using Token = int32_t;

// Keys and values of every layer, for n_seq independent sequences of up to n_ctx positions,
// stored as `type` (F16 or F32). Head-major: one KV head's positions are contiguous, so
// attention at long contexts reads each head's keys and values as one sequential stream (the
// hardware prefetchers follow it; a position-major layout made them jump by all heads' bytes).
struct KVCache {
  KvType type = KvType::F16;
  int64_t n_seq = 0;
  int64_t n_ctx = 0;  // positions per sequence
  int64_t kv_dim = 0;
  int64_t head_dim = 0;                 // kv_dim = KV heads * head_dim
  std::vector<std::vector<uint8_t>> k;  // per layer: (n_seq, kv heads, n_ctx, head_dim) elements of `type`
  std::vector<std::vector<uint8_t>> v;  // per layer: likewise

  size_t row_bytes() const { return static_cast<size_t>(kv_dim) * kv_type_size(type); }  // one position, all heads
  size_t head_bytes() const { return static_cast<size_t>(head_dim) * kv_type_size(type); }
  // Byte offset of (seq, KV head, pos)'s head_dim elements in a layer's k or v; consecutive
  // positions are head_bytes() apart.
  size_t offset(int64_t seq, int64_t head, int64_t pos) const {
    return static_cast<size_t>((seq * (kv_dim / head_dim) + head) * n_ctx + pos) * head_bytes();
  }
  // Bytes of all layers' keys and values.
  size_t bytes() const { return 2 * k.size() * static_cast<size_t>(n_seq * n_ctx) * row_bytes(); }
};

// One token of a batch: which sequence it extends, at which position, and whether its
// logits are wanted. A batch may mix sequences (continuous batching); within a sequence,
// positions must continue that sequence's cache in order.
struct BatchEntry {
  Token token = 0;
  int32_t seq = 0;
  int64_t pos = 0;
  bool logits = false;
};

// Inference state for n_seq sequences sharing one model: their KV caches, scratch buffers and
// the latest logits. Not thread-safe; the model it points to is shared and immutable.
class Context {
 public:
  // n_ctx: positions each sequence can hold (>= 1); n_seq: sequences (slots, >= 1);
  // kv_type: element type of the KV cache.
  Context(std::shared_ptr<const Model> model, int64_t n_ctx, ThreadPool& pool, int32_t n_seq = 1,
          KvType kv_type = KvType::F16);

  const Model& model() const { return *model_; }
  int64_t n_ctx() const { return kv_.n_ctx; }
  int32_t n_seq() const { return static_cast<int32_t>(kv_.n_seq); }
  KvType kv_type() const { return kv_.type; }
  size_t kv_bytes() const { return kv_.bytes(); }
  int64_t n_vocab() const { return model_->hparams().n_vocab; }
  int64_t n_past(int32_t seq = 0) const { return n_past_[static_cast<size_t>(seq)]; }  // cached positions

  // Runs a mixed batch in one forward pass. Each entry's position must equal its sequence's
  // n_past() plus the number of earlier entries of that sequence in the batch. Logits rows are
  // produced for entries with `logits` set, in batch order. Validates everything first: a bad
  // token id, sequence, position or a full context is an error and changes nothing.
  Status decode(std::span<const BatchEntry> batch);

  // Single-sequence convenience: appends `tokens` to sequence `seq`. With all_logits, one logits
  // row per token, else only the last token's row.
  Status eval(std::span<const Token> tokens, bool all_logits = false, int32_t seq = 0);

  // Logits rows from the latest decode()/eval().
  int64_t n_logit_rows() const { return n_logit_rows_; }
  std::span<const float> logits(int64_t row) const;
  std::span<const float> last_logits() const { return logits(n_logit_rows_ - 1); }

  // Forgets positions >= n of sequence `seq` (keeps a shared prompt prefix, or clears with 0).
  void truncate(int64_t n, int32_t seq = 0);

 private:
  Status validate(std::span<const BatchEntry> batch) const;
  void forward(std::span<const BatchEntry> batch, int64_t logits_row0);
  void store_kv(int64_t layer, std::span<const BatchEntry> batch);
  void attention(int64_t layer, std::span<const BatchEntry> batch);

  std::shared_ptr<const Model> model_;
  ThreadPool& pool_;
  KVCache kv_;
  std::vector<int64_t> n_past_;  // per sequence
  // Scratch, sized for a forward pass of up to max_batch_ tokens.
  int64_t max_batch_ = 0;
  std::vector<float> x_, xb_, q_, k_, v_, att_, gate_, up_, ffn_out_;
  RopeTable rope_[2];                             // [0] global layers, [1] windowed layers
  std::vector<float> rope_cos_[2], rope_sin_[2];  // (batch, n_rot/2) each
  std::vector<float> logits_;
  int64_t n_logit_rows_ = 0;
};

}  // namespace minerva
