#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "backend/backend.h"
#include "backend/http_proxy.h"
#include "backend/process.h"

namespace minerva {

// Lifetimes and limits of managed engine processes (all configurable so tests run in seconds).
struct ManagedTimings {
  std::chrono::milliseconds load_timeout{120000};  // spawn -> ready
  int max_restarts = 3;                            // consecutive failed starts/crashes before 'failed'
  std::chrono::milliseconds backoff{500};          // first restart delay; doubles each time
  std::chrono::milliseconds backoff_max{30000};
  std::chrono::milliseconds stop_grace{5000};  // SIGTERM -> SIGKILL
  int max_concurrent = 4;                      // requests in flight per engine; more wait
};

struct ManagedSpec {
  EngineKind kind = EngineKind::LlamaCpp;
  std::string model_id;
  std::function<std::vector<std::string>(int port)> argv;  // the command for a given port
  std::function<void(BackendRequest&)> adjust_request;     // engine quirks (e.g. mlx defaults)
  ManagedTimings timings;
};

// An engine running as a child process (llama-server, mlx_lm.server), proxied over HTTP.
//
// Lifecycle (one supervisor thread):
//   STARTING --ready--> READY --crash--> RESTARTING --backoff--> STARTING ...
//   STARTING --exit / load timeout--> RESTARTING (or FAILED after max_restarts in a row)
//   any --stop--> STOPPED (SIGTERM, then SIGKILL after stop_grace)
// A start that reaches READY resets the count. Requests wait while STARTING/RESTARTING.
class ManagedEngine final : public InferenceBackend {
 public:
  explicit ManagedEngine(ManagedSpec spec);
  ~ManagedEngine() override;  // stops the process

  // Blocks until READY (ok), FAILED (the error, quoting the last log lines) or `timeout`.
  Status wait_ready(std::chrono::milliseconds timeout, const CancelToken* cancel = nullptr);

  BackendInfo info() const override;
  Result<std::vector<Token>> tokenize(std::string_view text, TokenizeOptions opts) override;
  Result<std::string> detokenize(std::span<const Token> tokens) override;
  Completion generate(const BackendRequest& req, CompletionSink* sink, const CancelToken& cancel) override;
  nlohmann::json status() const override;

 private:
  enum class State { Starting, Ready, Restarting, Failed, Stopped };
  static const char* state_name(State s);
  void supervise();
  bool sleep_unless_stopped(std::chrono::milliseconds d);
  std::string label() const;
  Error failure_error(const std::string& what) const;

  ManagedSpec spec_;
  std::shared_ptr<BoundedLog> log_ = std::make_shared<BoundedLog>();
  mutable std::mutex mu_;
  std::condition_variable cv_;
  State state_ = State::Starting;
  bool stop_ = false;
  int port_ = 0;
  pid_t pid_ = -1;
  int restarts_ = 0;  // consecutive
  int starts_ = 0;    // total
  std::string last_error_;
  std::shared_ptr<ChildProcess> child_;
  int in_flight_ = 0;
  std::thread supervisor_;
};

}  // namespace minerva
