// backend: the InferenceBackend seam (native engine, managed llama.cpp / MLX processes, remote
// OpenAI upstreams), format detection, selection with fallback, and the model registry.
#pragma once

#include <atomic>
#include <memory>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/job.h"
#include "tokenizer/tokenizer.h"
#include "util/error.h"

namespace minerva {

// The engines a model can be served by; the names are the request's `backend` values and the
// X-Minerva-Backend header.
enum class EngineKind { Native, LlamaCpp, Mlx, OpenAi };
const char* engine_name(EngineKind k);  // "native" | "llama_cpp" | "mlx" | "openai"
std::optional<EngineKind> parse_engine_name(std::string_view name);

// What an engine can do with a request, so selection can route structured requests.
struct BackendCapabilities {
  bool grammar = false;   // GBNF grammar / json_schema response_format
  bool logprobs = false;  // logprobs / top_logprobs
  bool tokenize = false;  // /tokenize and /detokenize
};
BackendCapabilities engine_capabilities(EngineKind k);

struct BackendInfo {
  EngineKind engine = EngineKind::Native;
  std::string model_id;
  BackendCapabilities caps;
};

// Shared by the request thread and whoever cancels it (a client disconnect).
struct CancelToken {
  std::shared_ptr<std::atomic<bool>> flag = std::make_shared<std::atomic<bool>>(false);
  void cancel() const { flag->store(true); }
  bool cancelled() const { return flag->load(); }
};

// One completion or chat request as a backend sees it.
struct BackendRequest {
  bool chat = false;
  bool stream = false;
  std::string model_id;         // the id the client asked for (used in upstream responses)
  nlohmann::ordered_json body;  // the client's JSON minus Minerva-only fields; proxies forward it
  GenerationRequest native;     // the native engine's input (tokenized prompt, sampling, ...)
};

// One step of an answer, pushed to the sink as soon as it exists.
struct StreamPiece {
  std::string text;                    // native: generated text (complete UTF-8)
  std::vector<TokenLogprob> logprobs;  // native: tokens since the previous piece, when asked
  std::string upstream_event;          // proxies: one SSE event's data, exactly as the engine sent it
};

// Receives pieces on the generating request's thread. Returning false (client gone) cancels.
class CompletionSink {
 public:
  virtual ~CompletionSink() = default;
  virtual bool on_piece(const StreamPiece& piece) = 0;
  // Called about every 100 ms while nothing arrives; false cancels (keep-alive / disconnect check).
  virtual bool on_idle() { return true; }
};

// How a generate() call ended when it did not produce an answer; drives fallback.
enum class FailureKind {
  None,
  Hard,       // load error, unsupported model, engine missing, crash before the first byte: try the next
  Client,     // the request itself is wrong (4xx): never switch
  Cancelled,  // the client went away
  Busy,       // queue full / concurrency limit: 503, do not switch
};

struct Completion {
  FailureKind failure = FailureKind::None;
  int status = 200;            // HTTP status for failures (and proxies' upstream status)
  Error error;                 // failures: what went wrong, naming the engine
  bool sent_bytes = false;     // streaming: some of the answer already reached the sink
  bool not_connected = false;  // proxies: nothing was listening (the engine had already died)
  // native:
  std::string text;
  FinishReason finish = FinishReason::Stop;
  GenerationUsage usage;
  std::vector<TokenLogprob> logprobs;
  // proxies, non-streaming: the engine's response body (JSON object)
  nlohmann::json upstream_body;
};

// An engine serving one model. Thread-safe: many requests call generate() concurrently.
class InferenceBackend {
 public:
  virtual ~InferenceBackend() = default;
  virtual BackendInfo info() const = 0;
  virtual Result<std::vector<Token>> tokenize(std::string_view text, TokenizeOptions opts) = 0;
  virtual Result<std::string> detokenize(std::span<const Token> tokens) = 0;
  // Runs one request. With a sink, pieces are pushed as they are produced (streaming) and the
  // returned Completion carries only the end (finish, usage, failure). Without one, the whole
  // answer is returned. Never throws.
  virtual Completion generate(const BackendRequest& req, CompletionSink* sink, const CancelToken& cancel) = 0;
  // Short state for GET /v1/models ("loaded", "loading", "restarting", "failed") and details.
  virtual nlohmann::json status() const { return {{"state", "loaded"}}; }
};

}  // namespace minerva
