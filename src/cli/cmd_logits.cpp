#include "cli/commands.h"

namespace minerva::cli {

Command register_logits(CLI::App& app) {
  CLI::App* sub = app.add_subcommand("logits", "(not yet implemented)");
  return {sub, [] { return 1; }};
}

}  // namespace minerva::cli
