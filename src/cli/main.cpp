// The thin `minerva` binary: parses the subcommand and hands over to its action.
#include <cstdio>
#include <exception>
#include <vector>

#include "cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"Minerva: a local LLM inference engine and server for GGUF models", "minerva"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "minerva 0.1.0");

  const std::vector<minerva::cli::Command> commands = {
      minerva::cli::register_serve(app),       minerva::cli::register_run(app),   minerva::cli::register_tokenize(app),
      minerva::cli::register_logits(app),      minerva::cli::register_bench(app), minerva::cli::register_inspect(app),
      minerva::cli::register_quantize(app),    minerva::cli::register_synth(app), minerva::cli::register_template(app),
      minerva::cli::register_bench_serve(app),
  };

  try {
    app.parse(argc, argv);
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
