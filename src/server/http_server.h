#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "backend/registry.h"
#include "util/error.h"

namespace minerva {

struct ServerOptions {
  std::string model_path;
  std::string alias;  // model id in responses; default: the file name
  std::string host = "127.0.0.1";
  int port = 8080;        // 0: any free port
  std::string api_key;    // empty: no authentication
  int64_t n_ctx = 0;      // per slot; 0: the model's training context, at most 4096
  int32_t parallel = 1;   // slots decoded together
  int threads = 0;        // 0: all CPUs
  size_t max_queue = 64;  // requests waiting for a slot before 503
  size_t max_body_bytes = 8u << 20;
  std::string chat_template;  // empty: the model's; "chatml"; or a Jinja file
  // Many models: every GGUF / model directory in models_dir, and the models of a JSON config
  // file, loaded on demand (see backend/registry.h). model_path, when set, is loaded at start.
  std::string models_dir;
  std::string config_path;
  RegistryOptions registry;  // engines, timeouts, --max-loaded, --idle-ttl (native options are filled from above)
};

// The OpenAI-compatible HTTP server: binds, loads the -m model in the background (GET /health
// answers 503 until it is ready), then serves until stop(). Every request goes through an
// InferenceBackend chosen by the model registry. One instance per process.
class HttpServer {
 public:
  explicit HttpServer(ServerOptions opts);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Reads the model list (models dir, config file), then binds the listening socket; returns
  // the port (useful with port 0).
  Result<int> bind();
  // Loads the model and serves; returns when stop() is called, or an error if loading failed.
  Status run();
  // Thread-safe and async-signal-unsafe: call from a normal thread.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace minerva
