#include "model/hparams.h"

#include <cmath>

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

Status read_rope(const GgufFile& f, const std::string& p, const ArchInfo& arch, HParams& hp) {
  MINERVA_TRY(hp.n_rot, optional_int(f, p + "rope.dimension_count", hp.head_dim));
  if (hp.n_rot > hp.head_dim || hp.n_rot % 2 != 0) {
    return make_error(f.path() + ": rope.dimension_count " + std::to_string(hp.n_rot) +
                      " must be even and at most the head size " + std::to_string(hp.head_dim));
  }
  MINERVA_TRY(hp.rope.freq_base, optional_float(f, p + "rope.freq_base", 10000.0f));
  // The factor has an older key name; llama.cpp reads either.
  const std::string factor_key =
      f.find(p + "rope.scaling.factor") != nullptr ? p + "rope.scaling.factor" : p + "rope.scale_linear";
  MINERVA_TRY(float factor, optional_float(f, factor_key, 1.0f));
  hp.rope.freq_scale = 1.0f / factor;
  hp.rope_scaling = factor != 1.0f ? RopeScaling::Linear : RopeScaling::None;
  if (f.find(p + "rope.scaling.type") != nullptr) {
    MINERVA_TRY(std::string_view type, f.get_string(p + "rope.scaling.type"));
    if (type == "none") {
      hp.rope_scaling = RopeScaling::None;
      hp.rope.freq_scale = 1.0f;  // llama.cpp: never scale when the type says none
    } else if (type == "linear" || type == "longrope") {
      // longrope's per-dimension factors are tensors; its scalar factor (if any) scales linearly.
      hp.rope_scaling = RopeScaling::Linear;
    } else if (type == "yarn") {
      hp.rope_scaling = RopeScaling::Yarn;
    } else {
      return make_error(f.path() + ": rope.scaling.type '" + std::string(type) +
                            "' is not supported by the native engine (supported: none, linear, yarn, longrope)",
                        ErrorKind::Unsupported);
    }
  }
  MINERVA_TRY(hp.n_ctx_orig, optional_int(f, p + "rope.scaling.original_context_length", hp.n_ctx_train));
  MINERVA_TRY(hp.rope_attn_factor, optional_float(f, p + "rope.scaling.attn_factor", 1.0f));
  hp.rope_swa = hp.rope;
  if (arch.swa_rope_base_10k) hp.rope_swa = RopeParams{10000.0f, 1.0f};
  MINERVA_TRY(hp.rope_swa.freq_base, optional_float(f, p + "rope.freq_base_swa", hp.rope_swa.freq_base));
  return Ok{};
}

Status read_sliding_window(const GgufFile& f, const std::string& p, const ArchInfo& arch, HParams& hp) {
  hp.swa_layers.assign(static_cast<size_t>(hp.n_layer), 0);
  if (arch.swa == SwaRule::Ignored) return Ok{};
  MINERVA_TRY(hp.n_swa, optional_int(f, p + "attention.sliding_window", arch.default_window));
  if (hp.n_swa == 0) return Ok{};
  if (arch.swa == SwaRule::AllLayers) {
    hp.swa_layers.assign(static_cast<size_t>(hp.n_layer), 1);
    return Ok{};
  }
  // Alternating: a period n (each n-th layer global), or one flag per layer.
  const std::string key = p + "attention.sliding_window_pattern";
  const GgufValue* v = f.find(key);
  if (v != nullptr && v->type == GgufValueType::ARRAY) {
    if (v->count != static_cast<uint64_t>(hp.n_layer) ||
        (v->elem_type != GgufValueType::BOOL && !gguf_is_integer_type(v->elem_type))) {
      return make_error(f.path() + ": metadata '" + key + "' must be " + std::to_string(hp.n_layer) +
                        " booleans (one per layer)");
    }
    for (int64_t l = 0; l < hp.n_layer; ++l) hp.swa_layers[static_cast<size_t>(l)] = v->number_at(l) != 0.0 ? 1 : 0;
    return Ok{};
  }
  MINERVA_TRY(int64_t period, optional_int(f, key, arch.default_swa_pattern));
  for (int64_t l = 0; l < hp.n_layer; ++l) hp.swa_layers[static_cast<size_t>(l)] = l % period < period - 1 ? 1 : 0;
  return Ok{};
}

}  // namespace

const char* rope_scaling_name(RopeScaling s) {
  switch (s) {
    case RopeScaling::None:
      return "none";
    case RopeScaling::Linear:
      return "linear";
    case RopeScaling::Yarn:
      return "yarn";
  }
  return "?";
}

Result<HParams> read_hparams(const GgufFile& f, const ArchInfo& arch) {
  HParams hp;
  hp.arch = std::string(arch.name);
  hp.rope_type = arch.rope_type;
  hp.ffn_act = arch.ffn_act;
  hp.scale_embeddings = arch.scale_embeddings;
  hp.qk_norm = arch.qk_norm;
  hp.post_norms = arch.post_norms;
  const std::string p = hp.arch + ".";
  if (const GgufValue* experts = f.find(p + "expert_count");
      experts != nullptr && experts->is_integer() && experts->u > 0) {
    return make_error(f.path() + ": mixture-of-experts models (" + p + "expert_count = " + std::to_string(experts->u) +
                          ") are not supported by the native engine",
                      ErrorKind::Unsupported);
  }
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
  MINERVA_TRY(hp.rms_eps, optional_float(f, p + "attention.layer_norm_rms_epsilon", 1e-5f));
  MINERVA_CHECK(read_rope(f, p, arch, hp));
  MINERVA_CHECK(read_sliding_window(f, p, arch, hp));

  const bool by_embd = arch.query_scale_by_embd_layers != 0 && hp.n_layer == arch.query_scale_by_embd_layers;
  hp.attn_scale = 1.0f / std::sqrt(static_cast<float>(by_embd ? hp.n_embd / hp.n_head : hp.head_dim));
  if (arch.default_attn_softcap > 0.0f) {
    MINERVA_TRY(hp.attn_softcap, optional_float(f, p + "attn_logit_softcapping", arch.default_attn_softcap));
  }
  if (arch.default_final_softcap > 0.0f) {
    MINERVA_TRY(hp.final_softcap, optional_float(f, p + "final_logit_softcapping", arch.default_final_softcap));
  }
  return hp;
}

}  // namespace minerva
