#include "model/model.h"

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
      return make_error(f_.path() + ": tensor '" + name + "' has type " + std::string(tensor_type_name(t->type)) +
                        ", which the native engine does not support yet (supported: " + supported_tensor_type_names() +
                        ")");
    }
    MatrixView m;
    m.type = t->type;
    m.cols = cols;
    m.rows = rows;
    m.row_bytes = t->row_bytes();
    m.data = t->data;
    return m;
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
  if (f.find_tensor("output.weight") != nullptr) {
    MINERVA_TRY(m->output, w.matrix("output.weight", hp.n_embd, hp.n_vocab));
  } else {
    m->output = m->token_embd;  // tied embeddings
    m->tied_output = true;
  }

  m->layers.resize(static_cast<size_t>(hp.n_layer));
  for (int64_t i = 0; i < hp.n_layer; ++i) {
    const std::string b = "blk." + std::to_string(i) + ".";
    LlamaLayer& l = m->layers[static_cast<size_t>(i)];
    MINERVA_TRY(l.attn_norm, w.vector(b + "attn_norm.weight", hp.n_embd));
    MINERVA_TRY(l.wq, w.matrix(b + "attn_q.weight", hp.n_embd, hp.q_dim()));
    MINERVA_TRY(l.wk, w.matrix(b + "attn_k.weight", hp.n_embd, hp.kv_dim()));
    MINERVA_TRY(l.wv, w.matrix(b + "attn_v.weight", hp.n_embd, hp.kv_dim()));
    MINERVA_TRY(l.wo, w.matrix(b + "attn_output.weight", hp.q_dim(), hp.n_embd));
    MINERVA_TRY(l.ffn_norm, w.vector(b + "ffn_norm.weight", hp.n_embd));
    MINERVA_TRY(l.ffn_gate, w.matrix(b + "ffn_gate.weight", hp.n_embd, hp.n_ff));
    MINERVA_TRY(l.ffn_up, w.matrix(b + "ffn_up.weight", hp.n_embd, hp.n_ff));
    MINERVA_TRY(l.ffn_down, w.matrix(b + "ffn_down.weight", hp.n_ff, hp.n_embd));
  }
  m->file_ = std::move(file);
  return std::shared_ptr<const Model>(std::move(m));
}

}  // namespace minerva
