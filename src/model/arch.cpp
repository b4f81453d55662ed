#include "model/arch.h"

#include <array>

namespace minerva {

namespace {

// One row per architecture; see ArchInfo for what each switch does. Mistral files use the
// llama name (their sliding window, when the converter writes one, applies to every layer).
// Gemma norms need no "+1": the GGUF converter stores (1 + w) already.
constexpr std::array kArchs = {
    ArchInfo{.name = "llama"},
    ArchInfo{.name = "qwen2", .rope_type = RopeType::Neox, .qkv_bias = true, .swa = SwaRule::Ignored},
    ArchInfo{.name = "qwen3", .rope_type = RopeType::Neox, .qk_norm = true, .swa = SwaRule::Ignored},
    ArchInfo{.name = "phi3", .rope_type = RopeType::Neox, .swa = SwaRule::Ignored},
    ArchInfo{.name = "gemma",
             .rope_type = RopeType::Neox,
             .ffn_act = FfnAct::GeluTanh,
             .scale_embeddings = true,
             .swa = SwaRule::Ignored},
    ArchInfo{.name = "gemma2",
             .rope_type = RopeType::Neox,
             .ffn_act = FfnAct::GeluTanh,
             .scale_embeddings = true,
             .post_norms = true,
             .default_attn_softcap = 50.0f,
             .default_final_softcap = 30.0f,
             .swa = SwaRule::Alternating,
             .default_window = 4096,
             .default_swa_pattern = 2,
             .query_scale_by_embd_layers = 46},
    ArchInfo{.name = "gemma3",
             .rope_type = RopeType::Neox,
             .ffn_act = FfnAct::GeluTanh,
             .scale_embeddings = true,
             .qk_norm = true,
             .post_norms = true,
             .swa = SwaRule::Alternating,
             .default_swa_pattern = 6,
             .swa_rope_base_10k = true,
             .query_scale_by_embd_layers = 62},
};

}  // namespace

Result<const ArchInfo*> find_arch(std::string_view name) {
  for (const auto& a : kArchs) {
    if (a.name == name) return &a;
  }
  return make_error("architecture '" + std::string(name) + "' is not supported by the native engine",
                    ErrorKind::Unsupported);
}

std::string supported_arch_list() {
  std::string s;
  for (const auto& a : kArchs) {
    if (!s.empty()) s += ", ";
    s += a.name;
  }
  return s;
}

const char* rope_type_name(RopeType t) { return t == RopeType::Norm ? "norm" : "neox"; }
const char* ffn_act_name(FfnAct a) { return a == FfnAct::Silu ? "silu" : "gelu-tanh"; }

}  // namespace minerva
