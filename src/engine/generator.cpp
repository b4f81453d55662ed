#include "engine/generator.h"

#include <chrono>

namespace minerva {

namespace {
double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}
}  // namespace

Result<GenerationStats> generate(Context& ctx, const Tokenizer& tok, Sampler& sampler, std::span<const Token> prompt,
                                 const GenerateOptions& opts, TokenSink& sink) {
  GenerationStats stats;
  if (prompt.empty()) return make_error("the prompt is empty (no tokens to start from)");
  stats.n_prompt = static_cast<int64_t>(prompt.size());
  auto t0 = std::chrono::steady_clock::now();
  MINERVA_CHECK(ctx.eval(prompt));
  stats.prompt_ms = ms_since(t0);
  for (Token t : prompt) sampler.accept(t);

  StreamingDetokenizer detok(tok, /*render_special=*/false, /*continues_text=*/true);
  t0 = std::chrono::steady_clock::now();
  for (;;) {
    if (opts.n_predict >= 0 && stats.n_generated >= opts.n_predict) {
      stats.stop = StopReason::Length;
      break;
    }
    const Token next = sampler.sample(ctx.last_logits());
    sampler.accept(next);
    if (tok.vocab().is_eog(next)) {
      stats.stop = StopReason::EndOfGeneration;
      break;
    }
    ++stats.n_generated;
    if (!sink.on_piece(detok.push(next), next)) {
      stats.stop = StopReason::SinkStopped;
      break;
    }
    if (ctx.n_past() + 1 >= ctx.n_ctx()) {  // prompt + output fill the context
      stats.stop = StopReason::ContextFull;
      break;
    }
    MINERVA_CHECK(ctx.eval(std::span<const Token>(&next, 1)));
  }
  std::string rest = detok.finish();
  if (!rest.empty()) sink.on_piece(rest, -1);
  stats.generate_ms = ms_since(t0);
  return stats;
}

}  // namespace minerva
