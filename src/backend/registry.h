#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "backend/backend.h"
#include "backend/engines.h"
#include "backend/format.h"
#include "backend/managed_engine.h"
#include "backend/native_backend.h"

namespace minerva {

// One model the server knows about (from -m, --models-dir or the config file).
struct ModelConfig {
  std::string id;
  std::string path;                      // GGUF file or model directory; empty for openai upstreams
  std::optional<EngineKind> backend;     // per-model default for `auto`
  std::vector<EngineKind> fallback;      // the `fallback` chain; empty: native, llama_cpp (GGUF) / mlx (dirs)
  std::vector<std::string> engine_args;  // extra arguments for llama-server / mlx_lm.server
  std::vector<std::string> urls;         // openai upstreams
  std::string api_key;                   // openai upstreams
  std::string upstream_model;            // openai: the upstream's name for the model
  std::optional<std::chrono::milliseconds> idle_ttl;  // overrides the server's
};

struct RegistryOptions {
  NativeOptions native;
  EngineCommands commands;
  ManagedTimings timings;
  size_t max_loaded = 0;                  // engines loaded at once; 0: no limit; LRU beyond
  std::chrono::milliseconds idle_ttl{0};  // unload after this long unused; 0: never
  std::chrono::milliseconds probe_interval{5000};
};

// Models of a directory: *.gguf files (id: name without .gguf) and HF/MLX directories (id: the
// directory name). Entries detection rejects are reported on stderr and skipped.
Result<std::vector<ModelConfig>> scan_models_dir(const std::string& dir);

// The JSON config file: {"models": [{"id", "path", "backend", "fallback", "engine_args", "urls",
// "api_key", "upstream_model", "idle_ttl_s"}], "max_loaded", "idle_ttl_s", "llama_server",
// "mlx_command"}. Server-wide keys override `opts`. Errors name the file and the field.
Result<std::vector<ModelConfig>> load_models_config(const std::string& path, RegistryOptions& opts);

// What selection failed with: an HTTP status and a message for the client.
struct SelectError {
  int status = 503;
  std::string message;
  FailureKind kind = FailureKind::Hard;
};

// Every model of the server, loaded on demand, unloaded by LRU (max_loaded) and idle TTL.
// Thread-safe.
class ModelRegistry {
 public:
  ModelRegistry(RegistryOptions opts, std::vector<ModelConfig> models);
  ~ModelRegistry();  // stops every engine

  // A loaded backend held by one request; keeps it from being unloaded by TTL while held.
  class Lease {
   public:
    Lease() = default;
    Lease(ModelRegistry* r, std::string key, std::shared_ptr<InferenceBackend> b);
    Lease(Lease&& o) noexcept;
    Lease& operator=(Lease&& o) noexcept;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease();
    InferenceBackend* operator->() const { return backend_.get(); }
    InferenceBackend& operator*() const { return *backend_; }
    InferenceBackend* get() const { return backend_.get(); }

   private:
    ModelRegistry* reg_ = nullptr;
    std::string key_;
    std::shared_ptr<InferenceBackend> backend_;
  };

  // The model a request names: exact id; any name (or none) when the server has one model;
  // none: the first model. nullptr when unknown.
  const ModelConfig* find(const std::string& id) const;
  std::vector<std::string> model_ids() const;

  // The engines to try, in order, for `requested` (auto | native | llama_cpp | mlx | fallback).
  // `structured`: the request needs grammar support (response_format / grammar).
  std::variant<std::vector<EngineKind>, SelectError> plan(const ModelConfig& m, const std::string& requested,
                                                          bool structured);

  // The model's backend on `engine`, loading or starting it first (blocking).
  std::variant<Lease, SelectError> acquire(const ModelConfig& m, EngineKind engine, const CancelToken& cancel);

  // POST /models/unload: stops every engine of the model. POST /models/load: acquire(auto).
  Status unload(const std::string& id);

  // GET /v1/models entries.
  nlohmann::json list();
  // Native schedulers' stats summed (for /metrics).
  SchedulerStats native_stats() const;

 private:
  struct Instance {
    std::string model_id;
    EngineKind engine = EngineKind::Native;
    enum class State { Loading, Loaded, Failed } state = State::Loading;
    std::shared_ptr<InferenceBackend> backend;
    std::string error;
    int error_status = 503;
    std::chrono::steady_clock::time_point last_used = std::chrono::steady_clock::now();
    int active = 0;
  };
  struct ModelState {
    ModelConfig config;
    DetectedModel detected;
    std::string detect_error;
    std::optional<std::string> native_unsupported;  // why not, once checked
    bool native_checked = false;
  };
  static std::string key(const std::string& model, EngineKind e);
  std::variant<std::shared_ptr<InferenceBackend>, SelectError> create(const ModelState& m, EngineKind engine,
                                                                      const CancelToken& cancel);
  void release(const std::string& key);
  void evict_lru(const std::string& keep);
  void reaper();
  std::optional<std::string> native_unsupported(ModelState& m);

  RegistryOptions opts_;
  std::vector<ModelState> models_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, Instance> instances_;
  bool stop_ = false;
  std::thread reaper_;
};

// Whether a request body asks for constrained output (grammar, json_object / json_schema).
bool request_needs_grammar(const nlohmann::ordered_json& body);

}  // namespace minerva
