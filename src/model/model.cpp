#include "model/model.h"

#include <cmath>
#include <string>

#include "kernels/type_traits.h"

namespace minerva {

namespace {

std::string shape_str(int64_t a, int64_t b) { return "[" + std::to_string(a) + ", " + std::to_string(b) + "]"; }

class WeightLoader {
 public:
  explicit WeightLoader(const GgufFile& f) : f_(f) {}

  Result<const TensorView*> find(const std::string& name) const {
    const TensorView* t = f_.find_tensor(name);
    if (t == nullptr) return make_error(f_.path() + ": missing tensor '" + name + "'");
    return t;
  }

  Result<MatrixView> matrix(const std::string& name, int64_t cols, int64_t rows) const {
    MINERVA_TRY(const TensorView* t, find(name));
    if (t->n_dims != 2 || t->ne[0] != cols || t->ne[1] != rows) {
      return make_error(f_.path() + ": tensor '" + name + "' has shape " + t->shape_string() + ", expected " +
                        shape_str(cols, rows));
    }
    if (!kernels_support(t->type)) {
      return make_error(
          f_.path() + ": tensor '" + name + "' has type " + std::string(tensor_type_name(t->type)) +
              ", which the native engine does not support yet (supported: " + supported_tensor_type_names() + ")",
          ErrorKind::Unsupported);
    }
    MatrixView m;
    m.type = t->type;
    m.cols = cols;
    m.rows = rows;
    m.row_bytes = t->row_bytes();
    m.data = t->data;
    return m;
  }

  const std::string& path() const { return f_.path(); }

  bool has(const std::string& name) const { return f_.find_tensor(name) != nullptr; }

  // An optional vector: null when absent, an error when present but wrong.
  Result<const float*> optional_vector(const std::string& name, int64_t n) const {
    if (!has(name)) return static_cast<const float*>(nullptr);
    return vector(name, n);
  }

  Result<const float*> vector(const std::string& name, int64_t n) const {
    MINERVA_TRY(const TensorView* t, find(name));
    if (t->n_elements != static_cast<uint64_t>(n) || t->ne[0] != n) {
      return make_error(f_.path() + ": tensor '" + name + "' has shape " + t->shape_string() + ", expected [" +
                        std::to_string(n) + "]");
    }
    if (t->type != TensorType::F32) {
      return make_error(f_.path() + ": tensor '" + name + "' has type " + std::string(tensor_type_name(t->type)) +
                        ", expected F32 for a norm weight");
    }
    if (reinterpret_cast<uintptr_t>(t->data) % alignof(float) != 0) {
      return make_error(f_.path() + ": tensor '" + name + "' data is not 4-byte aligned");
    }
    return reinterpret_cast<const float*>(t->data);
  }

 private:
  const GgufFile& f_;
};

}  // namespace

namespace {

// Rows [first, first + n) of a matrix, as a matrix: fused tensors store their parts one after
// another along the row dimension.
MatrixView row_range(const MatrixView& m, int64_t first, int64_t n) {
  MatrixView v = m;
  v.rows = n;
  v.data = m.row(first);
  return v;
}

Status load_layer(const WeightLoader& w, const HParams& hp, const ArchInfo& arch, int64_t i, LayerWeights& l) {
  const std::string b = "blk." + std::to_string(i) + ".";
  const int64_t E = hp.n_embd, Q = hp.q_dim(), KV = hp.kv_dim();
  MINERVA_TRY(l.attn_norm, w.vector(b + "attn_norm.weight", E));
  if (w.has(b + "attn_qkv.weight")) {  // fused (phi3): rows q, then k, then v
    MINERVA_TRY(MatrixView qkv, w.matrix(b + "attn_qkv.weight", E, Q + 2 * KV));
    l.wq = row_range(qkv, 0, Q);
    l.wk = row_range(qkv, Q, KV);
    l.wv = row_range(qkv, Q + KV, KV);
    MINERVA_TRY(const float* bqkv, w.optional_vector(b + "attn_qkv.bias", Q + 2 * KV));
    if (bqkv != nullptr) {
      l.bq = bqkv;
      l.bk = bqkv + Q;
      l.bv = bqkv + Q + KV;
    }
  } else {
    MINERVA_TRY(l.wq, w.matrix(b + "attn_q.weight", E, Q));
    MINERVA_TRY(l.wk, w.matrix(b + "attn_k.weight", E, KV));
    MINERVA_TRY(l.wv, w.matrix(b + "attn_v.weight", E, KV));
    if (arch.qkv_bias) {
      MINERVA_TRY(l.bq, w.vector(b + "attn_q.bias", Q));
      MINERVA_TRY(l.bk, w.vector(b + "attn_k.bias", KV));
      MINERVA_TRY(l.bv, w.vector(b + "attn_v.bias", KV));
    } else {
      MINERVA_TRY(l.bq, w.optional_vector(b + "attn_q.bias", Q));
      MINERVA_TRY(l.bk, w.optional_vector(b + "attn_k.bias", KV));
      MINERVA_TRY(l.bv, w.optional_vector(b + "attn_v.bias", KV));
    }
  }
  if (arch.qk_norm) {
    MINERVA_TRY(l.q_norm, w.vector(b + "attn_q_norm.weight", hp.head_dim));
    MINERVA_TRY(l.k_norm, w.vector(b + "attn_k_norm.weight", hp.head_dim));
  }
  MINERVA_TRY(l.wo, w.matrix(b + "attn_output.weight", Q, E));
  MINERVA_TRY(l.bo, w.optional_vector(b + "attn_output.bias", E));
  MINERVA_TRY(l.ffn_norm, w.vector(b + "ffn_norm.weight", E));
  if (w.has(b + "ffn_gate.weight")) {
    MINERVA_TRY(l.ffn_gate, w.matrix(b + "ffn_gate.weight", E, hp.n_ff));
    MINERVA_TRY(l.ffn_up, w.matrix(b + "ffn_up.weight", E, hp.n_ff));
  } else {  // fused (phi3): ffn_up holds the gate rows, then the up rows
    MINERVA_TRY(MatrixView gate_up, w.matrix(b + "ffn_up.weight", E, 2 * hp.n_ff));
    l.ffn_gate = row_range(gate_up, 0, hp.n_ff);
    l.ffn_up = row_range(gate_up, hp.n_ff, hp.n_ff);
  }
  MINERVA_TRY(l.ffn_down, w.matrix(b + "ffn_down.weight", hp.n_ff, E));
  if (arch.post_norms) {
    MINERVA_TRY(l.post_attn_norm, w.vector(b + "post_attention_norm.weight", E));
    MINERVA_TRY(l.post_ffn_norm, w.vector(b + "post_ffw_norm.weight", E));
  }
  return Ok{};
}

// Optional per-pair RoPE divisors: each must be a positive finite number (angles are divided by it).
Result<const float*> load_rope_factors(const WeightLoader& w, const std::string& name, int64_t n) {
  MINERVA_TRY(const float* f, w.optional_vector(name, n));
  for (int64_t i = 0; f != nullptr && i < n; ++i) {
    if (!(f[i] > 0.0f) || !std::isfinite(f[i])) {
      return make_error(w.path() + ": tensor '" + name + "' element " + std::to_string(i) + " = " +
                        std::to_string(f[i]) + " is not a positive frequency factor");
    }
  }
  return f;
}

}  // namespace

const float* Model::rope_factors(int64_t n_ctx_seq) const {
  if (rope_freqs != nullptr) return rope_freqs;
  if (rope_long != nullptr && n_ctx_seq > hp_.n_ctx_orig) return rope_long;
  return rope_short;
}

Result<std::shared_ptr<const Model>> Model::load(std::shared_ptr<const GgufFile> file) {
  const GgufFile& f = *file;
  MINERVA_TRY(std::string_view arch_name, f.get_string("general.architecture"));
  auto arch_found = find_arch(arch_name);
  if (!arch_found) return arch_found.error().with_context(f.path());
  const ArchInfo* arch = arch_found.value();
  auto m = std::make_shared<Model>();
  MINERVA_TRY(m->hp_, read_hparams(f, *arch));
  HParams& hp = m->hp_;
  WeightLoader w(f);

  MINERVA_TRY(const TensorView* embd, w.find("token_embd.weight"));
  if (embd->n_dims != 2 || embd->ne[0] != hp.n_embd || embd->ne[1] < 1) {
    return make_error(f.path() + ": tensor 'token_embd.weight' has shape " + embd->shape_string() + ", expected [" +
                      std::to_string(hp.n_embd) + ", n_vocab]");
  }
  hp.n_vocab = embd->ne[1];
  MINERVA_TRY(m->token_embd, w.matrix("token_embd.weight", hp.n_embd, hp.n_vocab));
  MINERVA_TRY(m->output_norm, w.vector("output_norm.weight", hp.n_embd));
  if (w.has("output.weight")) {
    MINERVA_TRY(m->output, w.matrix("output.weight", hp.n_embd, hp.n_vocab));
  } else {
    m->output = m->token_embd;  // tied embeddings
    m->tied_output = true;
  }
  MINERVA_TRY(m->rope_freqs, load_rope_factors(w, "rope_freqs.weight", hp.n_rot / 2));
  MINERVA_TRY(m->rope_long, load_rope_factors(w, "rope_factors_long.weight", hp.n_rot / 2));
  MINERVA_TRY(m->rope_short, load_rope_factors(w, "rope_factors_short.weight", hp.n_rot / 2));

  m->layers.resize(static_cast<size_t>(hp.n_layer));
  for (int64_t i = 0; i < hp.n_layer; ++i)
    MINERVA_CHECK(load_layer(w, hp, *arch, i, m->layers[static_cast<size_t>(i)]));
  m->file_ = std::move(file);
  return std::shared_ptr<const Model>(std::move(m));
}

}  // namespace minerva
