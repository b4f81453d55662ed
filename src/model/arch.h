// model: architectures as data (hyper-parameters, tensor names, switches) and the
// forward pass over a KV cache. Nothing here knows about HTTP or sampling.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.h"

namespace minerva {

// How rotary embeddings pair up dimensions: NORM rotates adjacent pairs (x[2i], x[2i+1]),
// NEOX rotates halves (x[i], x[i + n_rot/2]). Chosen per architecture, as llama.cpp does.
enum class RopeType { Norm, Neox };

// The gated FFN's activation: act(gate) * up.
enum class FfnAct { Silu, GeluTanh };

// Which layers use sliding-window attention, given `<arch>.attention.sliding_window`.
enum class SwaRule {
  Ignored,     // the architecture never windows, even when the key is present (qwen2, phi3 in llama.cpp)
  AllLayers,   // every layer, when the key is present (mistral-style files of the llama architecture)
  Alternating  // every layer but each n-th (`sliding_window_pattern`, or the default below)
};

// Static facts about one architecture name as written in general.architecture. Everything the
// loader and the forward pass do differently per architecture is a field here; the code reads
// fields, never names. Fields default to plain llama behaviour.
struct ArchInfo {
  std::string_view name;
  RopeType rope_type = RopeType::Norm;
  FfnAct ffn_act = FfnAct::Silu;
  bool scale_embeddings = false;  // x *= sqrt(n_embd) after the lookup (gemma family)
  bool qkv_bias = false;          // attn_{q,k,v}.bias required (qwen2); other archs load them when present
  bool qk_norm = false;           // per-head RMS attn_q_norm / attn_k_norm before RoPE (qwen3, gemma3)
  bool post_norms = false;        // post_attention_norm / post_ffw_norm on each branch output (gemma2, gemma3)
  // Soft-capping of attention scores / output logits (gemma2): attn_logit_softcapping and
  // final_logit_softcapping, these values when the keys are absent. 0: the architecture has none.
  float default_attn_softcap = 0.0f;
  float default_final_softcap = 0.0f;
  SwaRule swa = SwaRule::AllLayers;
  int64_t default_window = 0;        // window when the key is absent; 0: no windowing by default
  uint32_t default_swa_pattern = 0;  // Alternating: each n-th layer is global
  bool swa_rope_base_10k = false;    // windowed layers rotate with base 1e4 unless rope.freq_base_swa says otherwise
  // Attention scale 1/sqrt(n_embd / n_head) instead of 1/sqrt(head_dim) for the model with this
  // many layers: Gemma's 27B models (query_pre_attn_scalar = 144 / 168), which llama.cpp
  // recognises by layer count because the GGUF carries no key for it. 0: never.
  int64_t query_scale_by_embd_layers = 0;
};

// The architecture `name`, or an ErrorKind::Unsupported error
// "architecture 'name' is not supported by the native engine".
Result<const ArchInfo*> find_arch(std::string_view name);

// "llama, qwen2, ..." for messages, --help and docs.
std::string supported_arch_list();

const char* rope_type_name(RopeType t);  // "norm" / "neox"
const char* ffn_act_name(FfnAct a);      // "silu" / "gelu-tanh"

}  // namespace minerva
