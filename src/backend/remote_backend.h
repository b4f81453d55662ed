#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "backend/backend.h"
#include "backend/http_proxy.h"

namespace minerva {

struct RemoteSpec {
  std::string model_id;
  std::vector<std::string> urls;  // base URLs, e.g. http://10.0.0.5:8080/v1
  std::string api_key;
  std::string upstream_model;                      // the model name the upstream expects; empty: the client's
  std::chrono::milliseconds probe_interval{5000};  // how often a failed upstream is probed
};

// A remote OpenAI-compatible service (vLLM, llama-server, another Minerva). Several URLs are
// balanced by least outstanding requests; one that fails (connection error, 5xx) is taken out
// and probed (GET <base>/models) until it answers, then put back.
class RemoteBackend final : public InferenceBackend {
 public:
  static Result<std::unique_ptr<RemoteBackend>> create(RemoteSpec spec);
  ~RemoteBackend() override;

  BackendInfo info() const override;
  Result<std::vector<Token>> tokenize(std::string_view text, TokenizeOptions opts) override;
  Result<std::string> detokenize(std::span<const Token> tokens) override;
  Completion generate(const BackendRequest& req, CompletionSink* sink, const CancelToken& cancel) override;
  nlohmann::json status() const override;

 private:
  struct Upstream {
    std::string url;
    UpstreamTarget target;
    int outstanding = 0;
    bool healthy = true;
    int64_t served = 0;
    uint64_t picked = 0;  // when it was last picked (picks_ at the time)
    std::string last_error;
  };
  RemoteBackend() = default;
  void probe_loop();

  RemoteSpec spec_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Upstream> ups_;
  uint64_t picks_ = 0;
  bool stop_ = false;
  std::thread prober_;
};

}  // namespace minerva
