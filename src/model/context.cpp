#include "model/context.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "kernels/attention_tile.h"

namespace minerva {

namespace {

// Prompt tokens per forward pass: bounds scratch memory while keeping weight reuse high.
constexpr int64_t kMaxBatch = 512;

// y = x / sqrt(mean(x^2) + eps) * w, sums in double as ggml does. Four partial sums: one chain
// of dependent double adds took ~3 us per 2048 values, twice per layer on the caller while the
// other threads wait; the float scale comes out the same.
void rms_norm(const float* x, const float* w, float* y, int64_t n, float eps) {
  double part[4] = {0.0, 0.0, 0.0, 0.0};
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    for (int j = 0; j < 4; ++j) part[j] += static_cast<double>(x[i + j]) * x[i + j];
  }
  double sum = (part[0] + part[1]) + (part[2] + part[3]);
  for (; i < n; ++i) sum += static_cast<double>(x[i]) * x[i];
  const float scale = 1.0f / std::sqrt(static_cast<float>(sum / static_cast<double>(n)) + eps);
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] * scale * w[i];
}

// 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))): the tanh approximation Gemma trains with.
float gelu_tanh(float x) {
  constexpr float kSqrt2OverPi = 0.79788456080286535588f;
  constexpr float kCoef = 0.044715f;
  return 0.5f * x * (1.0f + std::tanh(kSqrt2OverPi * x * (1.0f + kCoef * x * x)));
}

// Elements per chunk of the parallel elementwise passes: enough work (an exp each) to be
// worth waking a thread.
constexpr int64_t kElementwiseGrain = 4096;

// rms_norm of each of `rows` rows of n values, rows split across the threads.
void norm_rows(const float* x, const float* w, float* y, int64_t rows, int64_t n, float eps, ThreadPool& pool) {
  pool.run(rows, std::max<int64_t>(1, kElementwiseGrain / n), [&](int64_t r0, int64_t r1) {
    for (int64_t t = r0; t < r1; ++t) rms_norm(x + t * n, w, y + t * n, n, eps);
  });
}

void add_bias(float* y, const float* b, int64_t rows, int64_t n) {
  if (b == nullptr) return;
  for (int64_t t = 0; t < rows; ++t) {
    for (int64_t i = 0; i < n; ++i) y[t * n + i] += b[i];
  }
}

}  // namespace

Context::Context(std::shared_ptr<const Model> model, int64_t n_ctx, ThreadPool& pool, int32_t n_seq, KvType kv_type)
    : model_(std::move(model)), pool_(pool) {
  const HParams& hp = model_->hparams();
  kv_.type = kv_type;
  kv_.n_seq = std::max<int32_t>(1, n_seq);
  kv_.n_ctx = std::max<int64_t>(1, n_ctx);
  kv_.kv_dim = hp.kv_dim();
  kv_.head_dim = hp.head_dim;
  const size_t layer_bytes = static_cast<size_t>(kv_.n_seq * kv_.n_ctx) * kv_.row_bytes();
  kv_.k.assign(static_cast<size_t>(hp.n_layer), std::vector<uint8_t>(layer_bytes, 0));
  kv_.v.assign(static_cast<size_t>(hp.n_layer), std::vector<uint8_t>(layer_bytes, 0));
  n_past_.assign(static_cast<size_t>(kv_.n_seq), 0);
  max_batch_ = kMaxBatch;
  const auto b = static_cast<size_t>(max_batch_);
  x_.resize(b * hp.n_embd);
  xb_.resize(b * std::max(hp.n_embd, hp.q_dim()));
  q_.resize(b * hp.q_dim());
  k_.resize(b * hp.kv_dim());
  v_.resize(b * hp.kv_dim());
  att_.resize(b * hp.q_dim());
  gate_.resize(b * hp.n_ff);
  up_.resize(b * hp.n_ff);
  ffn_out_.resize(b * hp.n_embd);
  const float* factors = model_->rope_factors(kv_.n_ctx);
  rope_[0] = make_rope_table(hp, hp.rope, factors);
  rope_[1] = make_rope_table(hp, hp.rope_swa, factors);
  for (auto& c : rope_cos_) c.resize(b * (hp.n_rot / 2));
  for (auto& c : rope_sin_) c.resize(b * (hp.n_rot / 2));
}

std::span<const float> Context::logits(int64_t row) const {
  const auto nv = static_cast<size_t>(n_vocab());
  return {logits_.data() + static_cast<size_t>(row) * nv, nv};
}

void Context::truncate(int64_t n, int32_t seq) {
  int64_t& past = n_past_[static_cast<size_t>(seq)];
  past = std::clamp<int64_t>(n, 0, past);
}

Status Context::validate(std::span<const BatchEntry> batch) const {
  if (batch.empty()) return make_error("decode: empty batch");
  std::vector<int64_t> next(n_past_);
  for (size_t i = 0; i < batch.size(); ++i) {
    const BatchEntry& e = batch[i];
    if (e.token < 0 || e.token >= n_vocab()) {
      return make_error("token id " + std::to_string(e.token) + " at position " + std::to_string(i) +
                        " is out of range (vocabulary has " + std::to_string(n_vocab()) + " tokens)");
    }
    if (e.seq < 0 || e.seq >= kv_.n_seq) {
      return make_error("sequence " + std::to_string(e.seq) + " does not exist (context has " +
                        std::to_string(kv_.n_seq) + ")");
    }
    int64_t& expect = next[static_cast<size_t>(e.seq)];
    if (e.pos != expect) {
      return make_error("sequence " + std::to_string(e.seq) + ": position " + std::to_string(e.pos) +
                        " does not continue the cache (expected " + std::to_string(expect) + ")");
    }
    if (e.pos >= kv_.n_ctx) {
      return make_error("context overflow: sequence " + std::to_string(e.seq) + " would need " +
                        std::to_string(e.pos + 1) + " positions, the context size is " + std::to_string(kv_.n_ctx));
    }
    ++expect;
  }
  return Ok{};
}

Status Context::decode(std::span<const BatchEntry> batch) {
  MINERVA_CHECK(validate(batch));
  n_logit_rows_ = 0;
  for (const BatchEntry& e : batch) n_logit_rows_ += e.logits ? 1 : 0;
  logits_.assign(static_cast<size_t>(n_logit_rows_ * n_vocab()), 0.0f);
  int64_t row = 0;
  for (size_t start = 0; start < batch.size(); start += static_cast<size_t>(max_batch_)) {
    const size_t len = std::min(static_cast<size_t>(max_batch_), batch.size() - start);
    auto part = batch.subspan(start, len);
    forward(part, row);
    for (const BatchEntry& e : part) {
      row += e.logits ? 1 : 0;
      n_past_[static_cast<size_t>(e.seq)] = e.pos + 1;
    }
  }
  return Ok{};
}

Status Context::eval(std::span<const Token> tokens, bool all_logits, int32_t seq) {
  if (tokens.empty()) return make_error("eval: no tokens");
  if (seq < 0 || seq >= kv_.n_seq) return make_error("sequence " + std::to_string(seq) + " does not exist");
  if (n_past(seq) + static_cast<int64_t>(tokens.size()) > kv_.n_ctx) {
    return make_error("context overflow: " + std::to_string(n_past(seq)) + " tokens cached + " +
                      std::to_string(tokens.size()) + " new exceed the context size " + std::to_string(kv_.n_ctx));
  }
  std::vector<BatchEntry> batch(tokens.size());
  for (size_t i = 0; i < tokens.size(); ++i) {
    batch[i] = {tokens[i], seq, n_past(seq) + static_cast<int64_t>(i), all_logits || i + 1 == tokens.size()};
  }
  return decode(batch);
}

void Context::forward(std::span<const BatchEntry> batch, int64_t logits_row0) {
  const HParams& hp = model_->hparams();
  const Model& m = *model_;
  const auto T = static_cast<int64_t>(batch.size());
  const int64_t E = hp.n_embd;
  const int64_t half = hp.n_rot / 2;
  const int64_t hd = hp.head_dim;

  for (int64_t t = 0; t < T; ++t) {
    dequantize_row(m.token_embd.type, m.token_embd.row(batch[t].token), &x_[t * E], E);
  }
  if (hp.scale_embeddings) {
    const float s = std::sqrt(static_cast<float>(E));
    for (int64_t i = 0; i < T * E; ++i) x_[i] *= s;
  }
  // Angles per position for global layers [0] and windowed layers [1].
  for (size_t r = 0; r < (hp.n_swa > 0 ? 2u : 1u); ++r) {
    for (int64_t t = 0; t < T; ++t) rope_[r].angles(batch[t].pos, &rope_cos_[r][t * half], &rope_sin_[r][t * half]);
  }

  for (int64_t l = 0; l < hp.n_layer; ++l) {
    const LayerWeights& L = m.layers[static_cast<size_t>(l)];
    const size_t r = hp.is_swa(l) ? 1 : 0;
    norm_rows(x_.data(), L.attn_norm, xb_.data(), T, E, hp.rms_eps, pool_);
    const MatmulPart qkv[] = {{&L.wq, q_.data()}, {&L.wk, k_.data()}, {&L.wv, v_.data()}};
    matmul_many(qkv, xb_.data(), T, pool_);
    add_bias(q_.data(), L.bq, T, hp.q_dim());
    add_bias(k_.data(), L.bk, T, hp.kv_dim());
    add_bias(v_.data(), L.bv, T, hp.kv_dim());
    const int64_t kvd = kv_.kv_dim;
    for (int64_t t = 0; t < T; ++t) {
      const float* cos_t = &rope_cos_[r][t * half];
      const float* sin_t = &rope_sin_[r][t * half];
      for (int64_t h = 0; h < hp.n_head; ++h) {
        float* qh = &q_[t * hp.q_dim() + h * hd];
        if (L.q_norm != nullptr) rms_norm(qh, L.q_norm, qh, hd, hp.rms_eps);
        rope_head(qh, cos_t, sin_t, hp.n_rot, hp.rope_type);
      }
      for (int64_t h = 0; h < hp.n_head_kv; ++h) {
        float* kh = &k_[t * kvd + h * hd];
        if (L.k_norm != nullptr) rms_norm(kh, L.k_norm, kh, hd, hp.rms_eps);
        rope_head(kh, cos_t, sin_t, hp.n_rot, hp.rope_type);
      }
    }
    store_kv(l, batch);
    attention(l, batch);
    matmul(L.wo, att_.data(), T, ffn_out_.data(), pool_);
    add_bias(ffn_out_.data(), L.bo, T, E);
    if (L.post_attn_norm != nullptr) {
      for (int64_t t = 0; t < T; ++t) rms_norm(&ffn_out_[t * E], L.post_attn_norm, &ffn_out_[t * E], E, hp.rms_eps);
    }
    for (int64_t i = 0; i < T * E; ++i) x_[i] += ffn_out_[i];

    norm_rows(x_.data(), L.ffn_norm, xb_.data(), T, E, hp.rms_eps, pool_);
    const MatmulPart gate_up[] = {{&L.ffn_gate, gate_.data()}, {&L.ffn_up, up_.data()}};
    matmul_many(gate_up, xb_.data(), T, pool_);
    // One exp (or tanh) per FFN value: split across the threads like a matmul; SwiGLU's exps
    // come from the vectorized exp of the attention kernels.
    const bool silu = hp.ffn_act == FfnAct::Silu;
    const ExpRowFn exp_row = attn_kernels().exp;
    pool_.run(T * hp.n_ff, kElementwiseGrain, [&](int64_t i0, int64_t i1) {
      if (!silu) {
        for (int64_t i = i0; i < i1; ++i) gate_[i] = gelu_tanh(gate_[i]) * up_[i];  // GeGLU
        return;
      }
      thread_local std::vector<float> e;  // e^-gate for the chunk
      e.resize(static_cast<size_t>(i1 - i0));
      for (int64_t i = i0; i < i1; ++i) e[static_cast<size_t>(i - i0)] = -gate_[i];
      exp_row(e.data(), e.data(), i1 - i0);
      for (int64_t i = i0; i < i1; ++i) gate_[i] = gate_[i] / (1.0f + e[static_cast<size_t>(i - i0)]) * up_[i];
    });
    matmul(L.ffn_down, gate_.data(), T, ffn_out_.data(), pool_);
    if (L.post_ffn_norm != nullptr) {
      for (int64_t t = 0; t < T; ++t) rms_norm(&ffn_out_[t * E], L.post_ffn_norm, &ffn_out_[t * E], E, hp.rms_eps);
    }
    for (int64_t i = 0; i < T * E; ++i) x_[i] += ffn_out_[i];
  }

  // Output head only for the entries whose logits are wanted.
  int64_t rows = 0;
  for (int64_t t = 0; t < T; ++t) {
    if (batch[t].logits) rms_norm(&x_[t * E], m.output_norm, &xb_[(rows++) * E], E, hp.rms_eps);
  }
  if (rows == 0) return;
  float* out = &logits_[static_cast<size_t>(logits_row0 * n_vocab())];
  matmul(m.output, xb_.data(), rows, out, pool_);
  if (hp.final_softcap > 0.0f) {
    const float cap = hp.final_softcap;
    for (int64_t i = 0; i < rows * n_vocab(); ++i) out[i] = cap * std::tanh(out[i] / cap);
  }
}

void Context::store_kv(int64_t layer, std::span<const BatchEntry> batch) {
  const int64_t kvd = kv_.kv_dim;
  const int64_t hd = kv_.head_dim;
  const auto l = static_cast<size_t>(layer);
  const ToF16Fn to_f16 = attn_kernels().to_f16;  // F16C: the scalar conversion was ~0.5 % of decoding
  for (size_t t = 0; t < batch.size(); ++t) {
    for (int64_t h = 0; h < kvd / hd; ++h) {
      const size_t at = kv_.offset(batch[t].seq, h, batch[t].pos);
      const float* k = &k_[t * static_cast<size_t>(kvd) + static_cast<size_t>(h * hd)];
      const float* v = &v_[t * static_cast<size_t>(kvd) + static_cast<size_t>(h * hd)];
      if (kv_.type == KvType::F32) {
        std::memcpy(&kv_.k[l][at], k, static_cast<size_t>(hd) * sizeof(float));
        std::memcpy(&kv_.v[l][at], v, static_cast<size_t>(hd) * sizeof(float));
        continue;
      }
      to_f16(k, reinterpret_cast<uint16_t*>(&kv_.k[l][at]), hd);
      to_f16(v, reinterpret_cast<uint16_t*>(&kv_.v[l][at]), hd);
    }
  }
}

void Context::attention(int64_t layer, std::span<const BatchEntry> batch) {
  const HParams& hp = model_->hparams();
  const int64_t hd = hp.head_dim;
  const int64_t group = hp.n_head / hp.n_head_kv;
  const AttentionShape shape{hd, hp.attn_scale, hp.attn_softcap};
  const int64_t window = hp.is_swa(layer) ? hp.n_swa : 0;
  const auto n_tokens = static_cast<int64_t>(batch.size());
  // Work items: (token, KV head, part of that head's query group). Whole groups share each K/V
  // row load; groups are split only when too few items would leave threads idle (decoding one
  // token of a model with few KV heads).
  int64_t parts = 1;
  while (n_tokens * hp.n_head_kv * parts < pool_.size() && group % (parts * 2) == 0) parts *= 2;
  const int64_t per_part = group / parts;
  const int64_t items_per_token = hp.n_head_kv * parts;
  int64_t max_pos = 0;
  for (const BatchEntry& e : batch) max_pos = std::max(max_pos, e.pos + 1);
  // Each item costs ~2 * positions * head_dim multiply-adds per query head; batch small ones.
  const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, 2 * max_pos * hd * per_part));
  const auto l = static_cast<size_t>(layer);
  pool_.run(n_tokens * items_per_token, grain, [&](int64_t begin, int64_t end) {
    for (int64_t item = begin; item < end; ++item) {
      const int64_t t = item / items_per_token;
      const int64_t kvh = (item % items_per_token) / parts;
      const int64_t h0 = kvh * group + (item % parts) * per_part;  // first query head of this item
      const BatchEntry& e = batch[static_cast<size_t>(t)];
      // Causal: this token and everything before it in its sequence; a sliding window keeps
      // only the last `window` of those (query p sees keys p - window < k <= p).
      const int64_t n_pos = e.pos + 1;
      const int64_t first = window > 0 ? std::max<int64_t>(0, n_pos - window) : 0;
      const size_t at = kv_.offset(e.seq, kvh, 0);
      const KvRows rows{kv_.k[l].data() + at, kv_.v[l].data() + at, kv_.head_bytes(), kv_.type};
      const int64_t qo = t * hp.q_dim() + h0 * hd;
      attend_group(shape, &q_[static_cast<size_t>(qo)], per_part, rows, first, n_pos, &att_[static_cast<size_t>(qo)]);
    }
  });
}

}  // namespace minerva
