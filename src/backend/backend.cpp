#include "backend/backend.h"

namespace minerva {

const char* engine_name(EngineKind k) {
  switch (k) {
    case EngineKind::Native:
      return "native";
    case EngineKind::LlamaCpp:
      return "llama_cpp";
    case EngineKind::Mlx:
      return "mlx";
    case EngineKind::OpenAi:
      return "openai";
  }
  return "?";
}

std::optional<EngineKind> parse_engine_name(std::string_view name) {
  for (EngineKind k : {EngineKind::Native, EngineKind::LlamaCpp, EngineKind::Mlx, EngineKind::OpenAi}) {
    if (name == engine_name(k)) return k;
  }
  return std::nullopt;
}

BackendCapabilities engine_capabilities(EngineKind k) {
  switch (k) {
    case EngineKind::Native:  // the same as llama-server's
    case EngineKind::LlamaCpp:
      return {.grammar = true, .logprobs = true, .tokenize = true};
    case EngineKind::Mlx:
      return {.grammar = false, .logprobs = true, .tokenize = false};
    case EngineKind::OpenAi:
      // Assumed: vLLM and llama-server both take response_format json_schema.
      return {.grammar = true, .logprobs = true, .tokenize = false};
  }
  return {};
}

}  // namespace minerva
