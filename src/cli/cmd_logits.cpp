// `minerva logits`: the raw model output for given tokens, as JSON, for reference checks
// and debugging.
#include <cstdio>
#include <string>

#include "cli/commands.h"
#include "cli/common.h"
#include "model/context.h"

namespace minerva::cli {

namespace {

struct LogitsOptions {
  std::string model;
  std::string tokens;
  std::string prompt;
  bool all_positions = false;
  int threads = 0;
  HugePages huge_pages = HugePages::Auto;
};

int run(const LogitsOptions& o) {
  auto lm = load_model(o.model, {o.huge_pages, nullptr});
  if (!lm) return report(lm.error());
  // Logits are for checking numbers: with the move finished, they come from its copy.
  if (lm->huge_pages != nullptr) lm->huge_pages->wait();
  std::vector<Token> tokens;
  if (!o.tokens.empty()) {
    auto parsed = parse_token_list(o.tokens);
    if (!parsed) return report(parsed.error());
    tokens = std::move(parsed.value());
  } else {
    tokens = lm->tokenizer->encode(o.prompt, TokenizeOptions{true, false});
  }
  if (tokens.empty()) return report(make_error("no tokens to evaluate"));
  ThreadPool pool(choose_threads(o.threads));
  Context ctx(lm->model, static_cast<int64_t>(tokens.size()), pool);
  if (Status s = ctx.eval(tokens, o.all_positions); !s) return report(s.error());

  // Written by hand: %.9g round-trips float32 exactly and keeps the output compact.
  std::string out = "{\"tokens\": [";
  for (size_t i = 0; i < tokens.size(); ++i) out += (i ? ", " : "") + std::to_string(tokens[i]);
  out += "], \"n_vocab\": " + std::to_string(ctx.n_vocab()) + ", \"logits\": [";
  char buf[32];
  for (int64_t r = 0; r < ctx.n_logit_rows(); ++r) {
    out += r ? ", [" : "[";
    auto row = ctx.logits(r);
    for (size_t i = 0; i < row.size(); ++i) {
      std::snprintf(buf, sizeof buf, "%s%.9g", i ? ", " : "", static_cast<double>(row[i]));
      out += buf;
    }
    out += "]";
  }
  out += "]}\n";
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

}  // namespace

Command register_logits(CLI::App& app) {
  auto o = std::make_shared<LogitsOptions>();
  CLI::App* sub = app.add_subcommand(
      "logits", "Print the model's logits for a prompt as JSON {\"tokens\", \"n_vocab\", \"logits\": [[...]]}");
  sub->add_option("-m,--model", o->model, "GGUF model file")->required();
  auto* t = sub->add_option("--tokens", o->tokens, "Comma-separated token ids, e.g. 1,403,407");
  auto* p = sub->add_option("-p,--prompt", o->prompt, "Prompt text (tokenized with BOS as the model says)");
  t->excludes(p);
  sub->add_flag("--all-positions", o->all_positions, "One logits row per position (default: last position only)");
  sub->add_option("-t,--threads", o->threads, "Compute threads (0: all CPUs)");
  add_huge_pages_option(sub, &o->huge_pages);
  sub->callback([t, p] {
    if (t->count() == 0 && p->count() == 0) throw CLI::ValidationError("logits", "give --tokens or -p");
  });
  return {sub, [o] { return run(*o); }};
}

}  // namespace minerva::cli
