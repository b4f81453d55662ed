// `minerva run`: generate text from a prompt, streaming each piece to stdout.
#include <cstdio>
#include <string>

#include "backend/chat_prompt.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "engine/generator.h"

namespace minerva::cli {

namespace {

struct RunOptions {
  std::string model;
  std::string prompt;
  std::string prompt_file;
  int64_t n_predict = -1;
  int64_t ctx = 0;
  int threads = 0;
  std::string cache_type = "f16";
  HugePages huge_pages = HugePages::Auto;
  bool no_display_prompt = false;
  bool chat = false;          // -p is a user message, rendered with the chat template
  std::string chat_template;  // --chat-template: "" (the model's), a built-in name or a file
  SamplingParams sampling;
};

// Writes each piece to stdout and flushes, so text appears the moment it is sampled. The first
// piece also starts the weights' move into huge pages (if any): the prompt has been read by then.
class StdoutSink : public TokenSink {
 public:
  explicit StdoutSink(HugePageMove* move) : move_(move) {}
  bool on_piece(std::string_view piece, Token /*token*/) override {
    if (move_ != nullptr) move_->start();
    if (!piece.empty()) {
      std::fwrite(piece.data(), 1, piece.size(), stdout);
      std::fflush(stdout);
    }
    return true;
  }

 private:
  HugePageMove* move_;
};

int run(const RunOptions& o) {
  if (Status s = validate(o.sampling); !s) return report(s.error());
  auto kv_type = parse_kv_type(o.cache_type);
  if (!kv_type) return report(kv_type.error());
  std::string prompt = o.prompt;
  if (!o.prompt_file.empty()) {
    auto text = read_text_file(o.prompt_file);
    if (!text) return report(text.error());
    prompt = std::move(text.value());
  }
  LoadOptions load;
  load.huge_pages = o.huge_pages;
  load.defer_huge_pages = true;  // started by the first generated piece
  auto lm = load_model(o.model, load);
  if (!lm) return report(lm.error());
  const Tokenizer& tok = *lm->tokenizer;
  if (o.chat) {
    auto formatter = resolve_chat_template(o.chat_template, *lm->file, tok.vocab());
    if (!formatter) return report(formatter.error());
    const nlohmann::ordered_json messages = nlohmann::ordered_json::array({{{"role", "user"}, {"content", prompt}}});
    auto rendered = formatter->render(messages, nullptr, true, nlohmann::ordered_json::object());
    if (!rendered) return report(rendered.error().with_context("chat template from " + formatter->origin()));
    prompt = std::move(rendered.value());
  }
  std::vector<Token> tokens = tok.encode(prompt, TokenizeOptions{true, true});
  // A template that writes bos_token itself plus the tokenizer's own BOS would give two.
  if (o.chat && tokens.size() >= 2 && tokens[0] == tok.vocab().bos() && tokens[1] == tokens[0]) {
    tokens.erase(tokens.begin());
  }
  if (tokens.empty()) return report(make_error("the prompt tokenized to nothing; give some text with -p"));
  const int64_t n_ctx = choose_ctx(*lm, o.ctx);
  if (static_cast<int64_t>(tokens.size()) >= n_ctx) {
    return report(make_error("the prompt has " + std::to_string(tokens.size()) +
                             " tokens, which does not fit the context of " + std::to_string(n_ctx) + " (raise -c)"));
  }
  ThreadPool pool(choose_threads(o.threads));
  Context ctx(lm->model, n_ctx, pool, 1, kv_type.value());
  Sampler sampler(o.sampling);
  StdoutSink sink(lm->huge_pages.get());
  if (!o.no_display_prompt) {
    std::fwrite(prompt.data(), 1, prompt.size(), stdout);  // echo the prompt, as llama.cpp does
    std::fflush(stdout);
  }
  GenerateOptions gen;
  gen.n_predict = o.n_predict;
  auto stats = generate(ctx, tok, sampler, tokens, gen, sink);
  std::fputc('\n', stdout);
  std::fflush(stdout);
  if (!stats) return report(stats.error());
  auto rate = [](int64_t n, double ms) { return ms > 0 ? 1000.0 * static_cast<double>(n) / ms : 0.0; };
  std::fprintf(stderr,
               "prompt: %lld tokens, %.1f t/s | generated: %lld tokens, %.1f t/s | load: %.1f ms | threads: %d | "
               "seed: %llu | weights: %s\n",
               static_cast<long long>(stats->n_prompt), rate(stats->n_prompt, stats->prompt_ms),
               static_cast<long long>(stats->n_generated), rate(stats->n_generated, stats->generate_ms), lm->load_ms,
               pool.size(), static_cast<unsigned long long>(sampler.seed()), lm->weights_memory().c_str());
  return 0;
}

}  // namespace

Command register_run(CLI::App& app) {
  auto o = std::make_shared<RunOptions>();
  CLI::App* sub = app.add_subcommand("run", "Generate text from a prompt, printing each piece as it is sampled");
  sub->add_option("-m,--model", o->model, "GGUF model file")->required();
  auto* p = sub->add_option("-p,--prompt", o->prompt, "Prompt text");
  auto* f = sub->add_option("-f,--file", o->prompt_file, "Read the prompt from this file");
  p->excludes(f);
  sub->add_option("-n,--n-predict", o->n_predict, "Tokens to generate (-1: until end of text or context full)")
      ->capture_default_str();
  sub->add_option("-c,--ctx-size", o->ctx, "Context size in tokens (0: the model's, at most 4096)")
      ->capture_default_str();
  sub->add_option("-t,--threads", o->threads, "Compute threads (0: all CPUs)")->capture_default_str();
  sub->add_option("--cache-type", o->cache_type, "KV cache element type: f16 or f32")->capture_default_str();
  add_huge_pages_option(sub, &o->huge_pages);
  sub->add_option("--temp", o->sampling.temperature, "Temperature (0: greedy)")->capture_default_str();
  sub->add_option("--top-k", o->sampling.top_k, "Top-k sampling (0: off)")->capture_default_str();
  sub->add_option("--top-p", o->sampling.top_p, "Top-p (nucleus) sampling (1: off)")->capture_default_str();
  sub->add_option("--min-p", o->sampling.min_p, "Min-p sampling (0: off)")->capture_default_str();
  sub->add_option("--repeat-penalty", o->sampling.repeat_penalty, "Repetition penalty (1: off)")->capture_default_str();
  sub->add_option("--repeat-last-n", o->sampling.repeat_last_n, "Tokens the repetition penalty looks back over")
      ->capture_default_str();
  auto* chat =
      sub->add_flag("--chat", o->chat, "Treat the prompt as a user message and format it with the chat template");
  sub->add_option("--chat-template", o->chat_template,
                  "With --chat: a built-in template name (chatml, llama2, llama3, mistral, gemma, phi3, qwen) or a "
                  "Jinja file (default: the model's tokenizer.chat_template, else chatml)")
      ->needs(chat);
  sub->add_flag("--no-display-prompt", o->no_display_prompt, "Print only the generated text, not the prompt");
  sub->add_option("--seed", o->sampling.seed, "Random seed (4294967295: pick one at random)")->capture_default_str();
  return {sub, [o] { return run(*o); }};
}

}  // namespace minerva::cli
