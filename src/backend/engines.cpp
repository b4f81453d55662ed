#include "backend/engines.h"

#include <sstream>

namespace minerva {

std::vector<std::string> split_command(const std::string& command) {
  std::istringstream in(command);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

Result<std::unique_ptr<ManagedEngine>> start_llama_cpp(const std::string& model_id, const std::string& path,
                                                       const std::vector<std::string>& extra_args,
                                                       const EngineCommands& cmds, const ManagedTimings& timings) {
  const std::string name = cmds.llama_server.empty() ? "llama-server" : cmds.llama_server;
  const auto exe = find_executable(name);
  if (!exe) {
    return make_error("llama.cpp's llama-server not found" +
                      (cmds.llama_server.empty() ? std::string(" in PATH") : " at '" + cmds.llama_server + "'") +
                      "; install llama.cpp or pass --llama-server");
  }
  ManagedSpec spec;
  spec.kind = EngineKind::LlamaCpp;
  spec.model_id = model_id;
  spec.timings = timings;
  const int64_t n_ctx = cmds.n_ctx;
  const int np = std::max(1, timings.max_concurrent);
  spec.argv = [exe = *exe, path, extra_args, n_ctx, np](int port) {
    std::vector<std::string> a = {exe, "-m", path, "--host", "127.0.0.1", "--port", std::to_string(port)};
    if (n_ctx > 0) {
      // llama-server's -c is the total over all slots; Minerva's options speak per slot.
      a.insert(a.end(), {"-c", std::to_string(n_ctx * np)});
    }
    a.insert(a.end(), {"-np", std::to_string(np)});
    a.insert(a.end(), extra_args.begin(), extra_args.end());
    return a;
  };
  return std::make_unique<ManagedEngine>(std::move(spec));
}

namespace {
// True when `python -c "import mlx_lm"` succeeds.
bool python_has_mlx(const std::string& python) {
  auto child = ChildProcess::spawn({python, "-c", "import mlx_lm"}, std::make_shared<BoundedLog>(20), "[mlx check] ");
  if (!child) return false;
  if (!child.value()->wait_exit(std::chrono::seconds(20))) return false;
  return child.value()->exit_status() == 0;
}
}  // namespace

Result<std::unique_ptr<ManagedEngine>> start_mlx(const std::string& model_id, const std::string& path,
                                                 const std::vector<std::string>& extra_args, const EngineCommands& cmds,
                                                 const ManagedTimings& timings) {
  const std::vector<std::string> base = split_command(cmds.mlx_command);
  const std::string hint =
      "mlx-lm not installed: pip install mlx-lm (MLX runs on Apple silicon Macs; elsewhere convert the model to "
      "GGUF or pass --mlx-command)";
  if (base.empty()) return make_error("--mlx-command is empty");
  if (!find_executable(base[0])) return make_error(hint + " ('" + base[0] + "' not found)");
  const bool default_python_module = base.size() >= 3 && base[1] == "-m" && base[2] == "mlx_lm.server";
  if (default_python_module && cmds.check_mlx_import && !python_has_mlx(base[0])) return make_error(hint);
  ManagedSpec spec;
  spec.kind = EngineKind::Mlx;
  spec.model_id = model_id;
  spec.timings = timings;
  spec.argv = [base, path, extra_args](int port) {
    std::vector<std::string> a = base;
    a.insert(a.end(), {"--model", path, "--host", "127.0.0.1", "--port", std::to_string(port)});
    a.insert(a.end(), extra_args.begin(), extra_args.end());
    return a;
  };
  const int64_t max_tokens = cmds.max_tokens_default;
  spec.adjust_request = [max_tokens](BackendRequest& r) {
    // mlx_lm.server reads `model` as a model to load; "default_model" means the one it started with.
    r.body["model"] = "default_model";
    // Its defaults (temperature 0, 512 tokens) differ from OpenAI's; send what we mean.
    if (!r.body.contains("temperature") || r.body["temperature"].is_null()) r.body["temperature"] = 0.8;
    const bool has_max = (r.body.contains("max_tokens") && !r.body["max_tokens"].is_null()) ||
                         (r.body.contains("max_completion_tokens") && !r.body["max_completion_tokens"].is_null());
    if (!has_max) r.body["max_tokens"] = max_tokens;
  };
  return std::make_unique<ManagedEngine>(std::move(spec));
}

}  // namespace minerva
