#include "backend/native_backend.h"

#include <cstdio>

namespace minerva {

namespace {
constexpr auto kPollInterval = std::chrono::milliseconds(100);
}  // namespace

Result<std::unique_ptr<NativeBackend>> NativeBackend::load(const std::string& path, const std::string& model_id,
                                                           const NativeOptions& opts) {
  LoadOptions lo;
  lo.huge_pages = opts.huge_pages;
  lo.on_huge_pages = [model_id](const Result<size_t>& moved, double ms) {
    if (moved) {
      std::fprintf(stderr, "model %s: weights in huge pages (%.1f MiB moved in %.0f ms)\n", model_id.c_str(),
                   static_cast<double>(moved.value()) / (1024.0 * 1024.0), ms);
    } else {
      std::fprintf(stderr, "model %s: weights stay in the mapped file: %s\n", model_id.c_str(),
                   moved.error().message.c_str());
    }
  };
  MINERVA_TRY(LoadedModel lm, load_model(path, lo));
  SchedulerOptions so;
  so.n_slots = std::max<int32_t>(1, opts.parallel);
  so.n_ctx = opts.n_ctx > 0 ? opts.n_ctx : std::min<int64_t>(lm.model->hparams().n_ctx_train, 4096);
  so.threads = opts.threads > 0 ? opts.threads : default_thread_count();
  so.max_queue = opts.max_queue;
  so.kv_type = opts.kv_type;
  std::fprintf(stderr, "model %s loaded in %.1f ms: %d slot(s) x %lld tokens of context (%s KV cache), %d threads\n",
               model_id.c_str(), lm.load_ms, so.n_slots, static_cast<long long>(so.n_ctx), kv_type_name(so.kv_type),
               so.threads);
  MINERVA_TRY(ChatFormatter chat, resolve_chat_template(opts.chat_template, *lm.file, lm.tokenizer->vocab()));
  std::fprintf(stderr, "chat template: %s\n", chat.origin().c_str());
  auto b = std::unique_ptr<NativeBackend>(new NativeBackend());
  b->model_id_ = model_id;
  b->chat_ = std::move(chat);
  b->scheduler_ = std::make_unique<Scheduler>(std::move(lm), so);
  return b;
}

BackendInfo NativeBackend::info() const {
  return {EngineKind::Native, model_id_, engine_capabilities(EngineKind::Native)};
}

Result<std::vector<Token>> NativeBackend::tokenize(std::string_view text, TokenizeOptions opts) {
  return tokenizer().encode(text, opts);
}

Result<std::string> NativeBackend::detokenize(std::span<const Token> tokens) {
  const auto n = static_cast<Token>(tokenizer().vocab().size());
  for (Token t : tokens) {
    if (t < 0 || t >= n) return make_error("token id " + std::to_string(t) + " is not below " + std::to_string(n));
  }
  return tokenizer().decode(std::vector<Token>(tokens.begin(), tokens.end()));
}

Completion NativeBackend::generate(const BackendRequest& req, CompletionSink* sink, const CancelToken& cancel) {
  Completion c;
  Scheduler::SubmitError err;
  std::shared_ptr<Job> job = scheduler_->submit(req.native, &err);
  if (!job) {
    c.failure = err.queue_full ? FailureKind::Busy : FailureKind::Client;
    c.status = err.queue_full ? 503 : 400;
    c.error = err.error;
    return c;
  }
  for (;;) {
    if (cancel.cancelled()) job->cancel();
    auto ev = job->next(kPollInterval);
    if (!ev) {
      if (sink != nullptr && !sink->on_idle()) cancel.cancel();
      continue;
    }
    if (sink != nullptr && (!ev->text.empty() || !ev->logprobs.empty())) {
      StreamPiece p;
      p.text = std::move(ev->text);
      p.logprobs = std::move(ev->logprobs);
      c.sent_bytes = true;
      if (!sink->on_piece(p)) {
        cancel.cancel();
        job->cancel();
      }
    } else if (sink == nullptr) {
      c.text += ev->text;
      c.logprobs.insert(c.logprobs.end(), ev->logprobs.begin(), ev->logprobs.end());
    }
    if (!ev->finish) continue;
    c.finish = *ev->finish;
    c.usage = ev->usage;
    if (*ev->finish == FinishReason::Cancelled) {
      c.failure = FailureKind::Cancelled;
      c.status = 499;
      c.error = make_error("generation was cancelled");
    } else if (*ev->finish == FinishReason::Error) {
      c.failure = FailureKind::Hard;
      c.status = 500;
      c.error = make_error("native engine: " + (ev->error.empty() ? std::string("generation failed") : ev->error));
    }
    return c;
  }
}

}  // namespace minerva
