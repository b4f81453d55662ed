#include "cli/commands.h"

namespace minerva::cli {

Command register_tokenize(CLI::App& app) {
  CLI::App* sub = app.add_subcommand("tokenize", "(not yet implemented)");
  return {sub, [] { return 1; }};
}

}  // namespace minerva::cli
