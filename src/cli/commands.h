// cli: the `minerva` binary's subcommands. Each command registers its options on the
// CLI11 app and returns a process exit code when run; errors go to stderr as one line.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace minerva::cli {

// A registered subcommand and its action, run after parsing succeeded; the action
// returns the exit code (0 ok, 1 error reported on stderr).
struct Command {
  CLI::App* sub = nullptr;
  std::function<int()> action;
};

Command register_inspect(CLI::App& app);
Command register_run(CLI::App& app);
Command register_tokenize(CLI::App& app);
Command register_logits(CLI::App& app);
Command register_serve(CLI::App& app);
Command register_bench(CLI::App& app);
Command register_bench_serve(CLI::App& app);
Command register_quantize(CLI::App& app);
Command register_synth(CLI::App& app);
Command register_template(CLI::App& app);
Command register_models(CLI::App& app);

}  // namespace minerva::cli
