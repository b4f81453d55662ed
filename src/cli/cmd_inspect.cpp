#include "cli/commands.h"

namespace minerva::cli {

Command register_inspect(CLI::App& app) {
  CLI::App* sub = app.add_subcommand("inspect", "(not yet implemented)");
  return {sub, [] { return 1; }};
}

}  // namespace minerva::cli
