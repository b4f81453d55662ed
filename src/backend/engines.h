#pragma once

#include <memory>
#include <string>
#include <vector>

#include "backend/managed_engine.h"

namespace minerva {

// How to run the external engines (from serve's options and the config file).
struct EngineCommands {
  std::string llama_server;                              // path or name; empty: "llama-server" in PATH
  std::string mlx_command = "python3 -m mlx_lm.server";  // split on spaces
  bool check_mlx_import = true;                          // run `python3 -c "import mlx_lm"` before the default command
  int64_t n_ctx = 0;                                     // -c for llama-server (0: its default)
  int64_t max_tokens_default = 4096;  // mlx: sent when the client gives none (mlx_lm's default is 512 tokens)
};

// llama-server -m PATH --host 127.0.0.1 --port N [-c CTX] -np MAX_CONCURRENT EXTRA...
// Errors (503): "llama.cpp's llama-server not found; install llama.cpp or pass --llama-server".
Result<std::unique_ptr<ManagedEngine>> start_llama_cpp(const std::string& model_id, const std::string& path,
                                                       const std::vector<std::string>& extra_args,
                                                       const EngineCommands& cmds, const ManagedTimings& timings);

// <mlx command> --model PATH --host 127.0.0.1 --port N EXTRA...; checks that mlx-lm is
// installed first ("mlx-lm not installed: pip install mlx-lm", with the platform note).
Result<std::unique_ptr<ManagedEngine>> start_mlx(const std::string& model_id, const std::string& path,
                                                 const std::vector<std::string>& extra_args, const EngineCommands& cmds,
                                                 const ManagedTimings& timings);

std::vector<std::string> split_command(const std::string& command);

}  // namespace minerva
