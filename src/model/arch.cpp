#include "model/arch.h"

#include <array>

namespace minerva {

namespace {
// Mistral GGUF files use the llama architecture name, so they are covered by this row.
constexpr std::array kArchs = {
    ArchInfo{"llama", RopeType::Norm},
};
}  // namespace

Result<const ArchInfo*> find_arch(std::string_view name) {
  for (const auto& a : kArchs) {
    if (a.name == name) return &a;
  }
  return make_error("unsupported architecture '" + std::string(name) + "' (supported: " + supported_arch_list() + ")");
}

std::string supported_arch_list() {
  std::string s;
  for (const auto& a : kArchs) {
    if (!s.empty()) s += ", ";
    s += a.name;
  }
  return s;
}

}  // namespace minerva
