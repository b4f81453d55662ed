#pragma once

#include <cstdint>
#include <span>

#include "engine/sampler.h"
#include "engine/token_sink.h"
#include "model/context.h"

namespace minerva {

enum class StopReason { Length, EndOfGeneration, ContextFull, SinkStopped };

struct GenerationStats {
  int64_t n_prompt = 0;
  double prompt_ms = 0.0;
  int64_t n_generated = 0;
  double generate_ms = 0.0;  // sampling + decoding of generated tokens
  StopReason stop = StopReason::Length;
};

struct GenerateOptions {
  int64_t n_predict = -1;  // tokens to generate; < 0: until end-of-generation or context full
};

// Evaluates `prompt` in ctx (from its current position), then samples until n_predict,
// an end-of-generation token (not sent to the sink), a full context or the sink says stop.
// Each piece is pushed to `sink` the moment it is sampled.
Result<GenerationStats> generate(Context& ctx, const Tokenizer& tok, Sampler& sampler, std::span<const Token> prompt,
                                 const GenerateOptions& opts, TokenSink& sink);

}  // namespace minerva
