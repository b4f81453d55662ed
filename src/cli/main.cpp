// The thin `minerva` binary: parses the subcommand and hands over to its action.
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "cli/commands.h"

namespace {
// llama-server and mlx_lm.server command lines (`minerva -m M --port N -np 2`,
// `minerva --model M --port N`) mean `minerva serve ...`, so minerva can stand in for either
// engine; llama-server's two-letter -np is serve's --parallel.
std::vector<std::string> engine_style_args(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  if (args.size() > 1 && args[1].size() > 1 && args[1][0] == '-' && args[1] != "-h" && args[1] != "--help" &&
      args[1] != "--version") {
    args.insert(args.begin() + 1, "serve");
  }
  if (args.size() > 1 && args[1] == "serve") {
    for (auto& a : args) {
      if (a == "-np") a = "--parallel";
    }
  }
  return args;
}
}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Minerva: a local LLM inference engine and server for GGUF models", "minerva"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "minerva 0.1.0");

  const std::vector<minerva::cli::Command> commands = {
      minerva::cli::register_serve(app),       minerva::cli::register_run(app),
      minerva::cli::register_tokenize(app),    minerva::cli::register_logits(app),
      minerva::cli::register_bench(app),       minerva::cli::register_inspect(app),
      minerva::cli::register_quantize(app),    minerva::cli::register_synth(app),
      minerva::cli::register_template(app),    minerva::cli::register_models(app),
      minerva::cli::register_bench_serve(app),
  };

  std::vector<std::string> args = engine_style_args(argc, argv);
  std::vector<char*> cargs;
  cargs.reserve(args.size());
  for (auto& a : args) cargs.push_back(a.data());
  try {
    app.parse(static_cast<int>(cargs.size()), cargs.data());
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    for (const auto& cmd : commands) {
      if (cmd.sub->parsed()) return cmd.action();
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "minerva: internal error: %s\n", e.what());
    return 1;
  }
  return 1;
}
