#include "engine/loaded_model.h"

#include <chrono>

namespace minerva {

namespace {
Result<std::shared_ptr<const GgufFile>> open_gguf(const std::string& path) {
  MINERVA_TRY(GgufFile f, GgufFile::open(path));
  return std::make_shared<const GgufFile>(std::move(f));
}
}  // namespace

Result<LoadedModel> load_model(const std::string& path) {
  const auto t0 = std::chrono::steady_clock::now();
  LoadedModel lm;
  MINERVA_TRY(lm.file, open_gguf(path));
  MINERVA_TRY(lm.model, Model::load(lm.file));
  MINERVA_TRY(Tokenizer tok, Tokenizer::from_gguf(*lm.file));
  lm.tokenizer = std::make_shared<const Tokenizer>(std::move(tok));
  if (static_cast<int64_t>(lm.tokenizer->vocab().size()) != lm.model->hparams().n_vocab) {
    return make_error(path + ": tokenizer has " + std::to_string(lm.tokenizer->vocab().size()) +
                      " tokens but token_embd.weight has " + std::to_string(lm.model->hparams().n_vocab) + " rows");
  }
  lm.load_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return lm;
}

Result<std::shared_ptr<const Tokenizer>> load_tokenizer(const std::string& path) {
  MINERVA_TRY(auto file, open_gguf(path));
  MINERVA_TRY(Tokenizer tok, Tokenizer::from_gguf(*file));
  return std::make_shared<const Tokenizer>(std::move(tok));
}

}  // namespace minerva
