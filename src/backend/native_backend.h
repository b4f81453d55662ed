#pragma once

#include <memory>
#include <optional>

#include "backend/backend.h"
#include "backend/chat_prompt.h"
#include "engine/scheduler.h"

namespace minerva {

struct NativeOptions {
  int64_t n_ctx = 0;  // per slot; 0: the model's training context, at most 4096
  int32_t parallel = 1;
  int threads = 0;  // 0: all CPUs
  size_t max_queue = 64;
  std::string chat_template;               // see resolve_chat_template
  KvType kv_type = KvType::F16;            // KV cache element type (--cache-type)
  HugePages huge_pages = HugePages::Auto;  // --huge-pages
};

// Minerva's own engine behind the InferenceBackend interface: a Scheduler over one GGUF.
class NativeBackend final : public InferenceBackend {
 public:
  // Loads the model (blocking). Errors name the file; see is_native_unsupported_error().
  static Result<std::unique_ptr<NativeBackend>> load(const std::string& path, const std::string& model_id,
                                                     const NativeOptions& opts);

  BackendInfo info() const override;
  Result<std::vector<Token>> tokenize(std::string_view text, TokenizeOptions opts) override;
  Result<std::string> detokenize(std::span<const Token> tokens) override;
  Completion generate(const BackendRequest& req, CompletionSink* sink, const CancelToken& cancel) override;

  // For preparing requests (chat template, tokenization) and shaping logprobs. Immutable.
  const Tokenizer& tokenizer() const { return *scheduler_->model().tokenizer; }
  const ChatFormatter& chat() const { return *chat_; }
  SchedulerStats stats() const { return scheduler_->stats(); }

 private:
  std::string model_id_;
  std::optional<ChatFormatter> chat_;
  std::unique_ptr<Scheduler> scheduler_;
};

}  // namespace minerva
