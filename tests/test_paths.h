// Paths to shared test data (../shared beside the clone) and the built binary.
#pragma once

#include <cstdlib>
#include <string>

namespace minerva::testing {

inline std::string shared_dir() {
  const char* env = std::getenv("MINERVA_SHARED");
  return env != nullptr && *env != '\0' ? std::string(env) : std::string(MINERVA_SHARED_DIR);
}

// shared_path("models/stories260K.gguf") -> "<repo>/../shared/models/stories260K.gguf"
inline std::string shared_path(const std::string& rel) { return shared_dir() + "/" + rel; }

inline std::string minerva_binary() { return MINERVA_BINARY; }

}  // namespace minerva::testing
