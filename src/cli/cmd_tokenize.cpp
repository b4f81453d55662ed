// `minerva tokenize`: print the token ids of a text, llama-tokenize style.
#include <cstdio>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "cli/common.h"
#include "tokenizer/tokenizer.h"

namespace minerva::cli {
namespace {

struct TokenizeArgs {
  std::string model;
  std::string prompt;
  std::string file;
  bool ids = false;
  bool add_special = true;
  bool parse_special = true;
};

int fail(const std::string& message) { return report(make_error(message)); }

int run_tokenize(const TokenizeArgs& args, const CLI::App& sub) {
  const bool has_prompt = sub.count("--prompt") > 0;
  const bool has_file = sub.count("--file") > 0;
  if (args.model.empty()) return fail("tokenize: -m MODEL is required");
  if (has_prompt == has_file) return fail("tokenize: give exactly one of -p TEXT or -f FILE");

  std::string text = args.prompt;
  if (has_file) {
    auto content = read_text_file(args.file);
    if (!content) return fail("tokenize: " + content.error().message);
    text = std::move(content).value();
  }

  // A GGUF file, a tokenizer.json, or a directory holding tokenizer.json (+ tokenizer_config.json).
  auto tok = Tokenizer::from_path(args.model);
  if (!tok) return report(tok.error());

  const std::vector<Token> tokens = tok->encode(text, {args.add_special, args.parse_special});
  std::string out;
  if (args.ids) {
    // Exactly llama-tokenize --ids: a Python-style list on one line.
    out.push_back('[');
    for (size_t i = 0; i < tokens.size(); ++i) {
      if (i > 0) out.append(", ");
      out.append(std::to_string(tokens[i]));
    }
    out.append("]\n");
  } else {
    char id[32];
    for (Token t : tokens) {
      std::snprintf(id, sizeof(id), "%6d -> '", t);
      out.append(id);
      out.append(tok->token_to_piece(t, /*render_special=*/true));
      out.append("'\n");
    }
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return std::fflush(stdout) == 0 ? 0 : fail("tokenize: cannot write to stdout");
}

}  // namespace

Command register_tokenize(CLI::App& app) {
  auto args = std::make_shared<TokenizeArgs>();
  CLI::App* sub =
      app.add_subcommand("tokenize", "Print the tokens of a text using a GGUF model's vocab or a tokenizer.json");
  sub->add_option("-m,--model", args->model,
                  "GGUF model (or vocab-only) file, HuggingFace tokenizer.json, or a directory holding one");
  sub->add_option("-p,--prompt", args->prompt, "Text to tokenize");
  sub->add_option("-f,--file", args->file, "Read the text to tokenize from this file (bytes as they are)");
  sub->add_flag("--ids", args->ids, "Print only the ids, as one list: [1, 403, 407]");
  sub->add_flag("--add-special,!--no-add-special", args->add_special,
                "Add BOS/EOS as the vocab says, or run tokenizer.json's post-processor (default: on)");
  sub->add_flag("--parse-special,!--no-parse-special", args->parse_special,
                "Turn special-token text such as <s> into those tokens (default: on; tokenizer.json's non-special "
                "added tokens always match)");
  return {sub, [args, sub] { return run_tokenize(*args, *sub); }};
}

}  // namespace minerva::cli
