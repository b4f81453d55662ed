// `minerva models [DIR]`: what format detection finds in a directory and which backend `auto`
// would pick for each model.
#include <cstdio>
#include <filesystem>

#include "backend/registry.h"
#include "cli/commands.h"
#include "cli/common.h"

namespace minerva::cli {

namespace {

int list_models(const std::string& dir, const std::string& llama_server) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return report(make_error(dir + ": not a directory"));
  std::vector<std::filesystem::path> entries;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) entries.push_back(e.path());
  std::sort(entries.begin(), entries.end());
  std::printf("%-32s %-6s %-12s %-10s %s\n", "ID", "FORMAT", "ARCH", "BACKEND", "NOTES");
  const bool have_llama = find_executable(llama_server.empty() ? "llama-server" : llama_server).has_value();
  for (const auto& p : entries) {
    const std::string name = p.filename().string();
    if (name.empty() || name[0] == '.') continue;
    auto d = detect_model_format(p.string());
    if (!d) {
      std::printf("%-32s %-6s %-12s %-10s %s\n", name.c_str(), "-", "-", "-", d.error().message.c_str());
      continue;
    }
    std::string id = name;
    std::string backend;
    std::string note = d->detail;
    if (d->format == ModelFormat::Gguf) {
      if (id.size() > 5 && id.substr(id.size() - 5) == ".gguf") id.resize(id.size() - 5);
      if (Status st = native_engine_supports(p.string()); st) {
        backend = "native";
      } else {
        backend = "llama_cpp";
        note += "; not native: " + st.error().message;
        if (!have_llama) note += "; llama-server not found";
      }
    } else {
      backend = "mlx";
    }
    std::printf("%-32s %-6s %-12s %-10s %s\n", id.c_str(), format_name(d->format),
                d->architecture.empty() ? "-" : d->architecture.c_str(), backend.c_str(), note.c_str());
  }
  return 0;
}

}  // namespace

Command register_models(CLI::App& app) {
  auto dir = std::make_shared<std::string>(".");
  auto llama = std::make_shared<std::string>();
  CLI::App* sub = app.add_subcommand("models", "List the models in a directory: format, architecture, backend");
  sub->add_option("dir", *dir, "Directory to scan")->capture_default_str();
  sub->add_option("--llama-server", *llama, "llama-server executable to check for");
  return {sub, [dir, llama] { return list_models(*dir, *llama); }};
}

}  // namespace minerva::cli
