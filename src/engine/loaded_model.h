#pragma once

#include <memory>
#include <string>

#include "formats/gguf.h"
#include "model/model.h"
#include "tokenizer/tokenizer.h"

namespace minerva {

// Everything needed to run one GGUF model: the mapped file, validated weights and the
// tokenizer. Immutable; share it between sequences.
struct LoadedModel {
  std::shared_ptr<const GgufFile> file;
  std::shared_ptr<const Model> model;
  std::shared_ptr<const Tokenizer> tokenizer;
  double load_ms = 0.0;
};

// Opens, validates and loads `path`. Errors are one line naming the file and the problem.
Result<LoadedModel> load_model(const std::string& path);

// Opens `path` and loads only its tokenizer (no weights needed), for tokenize commands.
Result<std::shared_ptr<const Tokenizer>> load_tokenizer(const std::string& path);

}  // namespace minerva
