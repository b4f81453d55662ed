#pragma once

#include <string>

#include "util/error.h"

namespace minerva {

enum class ModelFormat { Gguf, HfDir, MlxDir };
const char* format_name(ModelFormat f);  // "gguf" | "hf" | "mlx"

struct DetectedModel {
  std::string path;
  ModelFormat format = ModelFormat::Gguf;
  std::string architecture;  // GGUF general.architecture or config.json model_type, when known
  std::string detail;        // e.g. "GGUF v3, 12 tensors" for listings
};

// Reads bytes, not names: GGUF magic + version; a directory with config.json and *.safetensors
// (or an index) is HuggingFace, MLX when config.json has a `quantization` entry or the
// safetensors hold `.scales`/`.biases` companions. Legacy GGML/GGJT files and anything else are
// errors naming the path and what was found.
Result<DetectedModel> detect_model_format(const std::string& path);

// Whether the native engine can run this GGUF: its architecture and every tensor type.
// The error says why not. The one place that decides "unsupported by the native engine".
Status native_engine_supports(const std::string& gguf_path);

// True when a native load error means "this model is not for the native engine" (unsupported
// architecture or tensor type: ErrorKind::Unsupported, set by the model loader and by
// native_engine_supports) rather than a broken file.
bool is_native_unsupported_error(const Error& e);

}  // namespace minerva
