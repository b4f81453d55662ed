#include "model/hparams.h"

namespace minerva {

namespace {

Result<int64_t> required_int(const GgufFile& f, const std::string& key) {
  MINERVA_TRY(uint64_t v, f.get_uint(key));
  if (v == 0 || v > (1u << 30)) {
    return make_error(f.path() + ": metadata '" + key + "' = " + std::to_string(v) + " is out of range");
  }
  return static_cast<int64_t>(v);
}

Result<int64_t> optional_int(const GgufFile& f, const std::string& key, int64_t fallback) {
  if (f.find(key) == nullptr) return fallback;
  return required_int(f, key);
}

Result<float> optional_float(const GgufFile& f, const std::string& key, float fallback) {
  if (f.find(key) == nullptr) return fallback;
  MINERVA_TRY(double v, f.get_float(key));
  if (!(v > 0.0) || v > 1e12) {
    return make_error(f.path() + ": metadata '" + key + "' = " + std::to_string(v) + " is out of range");
  }
  return static_cast<float>(v);
}

}  // namespace

Result<HParams> read_hparams(const GgufFile& f, const ArchInfo& arch) {
  HParams hp;
  hp.arch = std::string(arch.name);
  hp.rope_type = arch.rope_type;
  const std::string p = hp.arch + ".";
  MINERVA_TRY(hp.n_ctx_train, required_int(f, p + "context_length"));
  MINERVA_TRY(hp.n_embd, required_int(f, p + "embedding_length"));
  MINERVA_TRY(hp.n_layer, required_int(f, p + "block_count"));
  MINERVA_TRY(hp.n_ff, required_int(f, p + "feed_forward_length"));
  MINERVA_TRY(hp.n_head, required_int(f, p + "attention.head_count"));
  MINERVA_TRY(hp.n_head_kv, optional_int(f, p + "attention.head_count_kv", hp.n_head));
  if (hp.n_head % hp.n_head_kv != 0) {
    return make_error(f.path() + ": attention.head_count " + std::to_string(hp.n_head) +
                      " is not a multiple of head_count_kv " + std::to_string(hp.n_head_kv));
  }
  if (f.find(p + "attention.key_length") == nullptr && hp.n_embd % hp.n_head != 0) {
    return make_error(f.path() + ": embedding_length " + std::to_string(hp.n_embd) +
                      " is not a multiple of head_count " + std::to_string(hp.n_head));
  }
  MINERVA_TRY(hp.head_dim, optional_int(f, p + "attention.key_length", hp.n_embd / hp.n_head));
  MINERVA_TRY(int64_t v_dim, optional_int(f, p + "attention.value_length", hp.head_dim));
  if (v_dim != hp.head_dim) {
    return make_error(f.path() + ": attention.value_length " + std::to_string(v_dim) + " differs from key_length " +
                      std::to_string(hp.head_dim) + " (not supported)");
  }
  MINERVA_TRY(hp.n_rot, optional_int(f, p + "rope.dimension_count", hp.head_dim));
  if (hp.n_rot > hp.head_dim || hp.n_rot % 2 != 0) {
    return make_error(f.path() + ": rope.dimension_count " + std::to_string(hp.n_rot) +
                      " must be even and at most the head size " + std::to_string(hp.head_dim));
  }
  MINERVA_TRY(hp.rope_freq_base, optional_float(f, p + "rope.freq_base", 10000.0f));
  MINERVA_TRY(hp.rms_eps, optional_float(f, p + "attention.layer_norm_rms_epsilon", 1e-5f));
  return hp;
}

}  // namespace minerva
