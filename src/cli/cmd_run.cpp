#include "cli/commands.h"

namespace minerva::cli {

Command register_run(CLI::App& app) {
  CLI::App* sub = app.add_subcommand("run", "(not yet implemented)");
  return {sub, [] { return 1; }};
}

}  // namespace minerva::cli
