#include "backend/managed_engine.h"

namespace minerva {

namespace {
constexpr auto kReadyPoll = std::chrono::milliseconds(50);
constexpr size_t kQuotedLogLines = 8;  // how much of the engine's log errors quote
}  // namespace

const char* ManagedEngine::state_name(State s) {
  switch (s) {
    case State::Starting:
      return "loading";
    case State::Ready:
      return "loaded";
    case State::Restarting:
      return "restarting";
    case State::Failed:
      return "failed";
    case State::Stopped:
      return "unloaded";
  }
  return "?";
}

ManagedEngine::ManagedEngine(ManagedSpec spec) : spec_(std::move(spec)) {
  supervisor_ = std::thread([this] { supervise(); });
}

ManagedEngine::~ManagedEngine() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    cv_.notify_all();
  }
  supervisor_.join();
}

std::string ManagedEngine::label() const {
  std::string s = std::string(engine_name(spec_.kind)) + " engine for model '" + spec_.model_id + "'";
  if (port_ > 0) s += " (127.0.0.1:" + std::to_string(port_) + ")";
  return s;
}

Error ManagedEngine::failure_error(const std::string& what) const {
  std::string msg = what;
  const std::string tail = log_->tail(kQuotedLogLines);
  if (!tail.empty()) msg += "; last log lines:\n" + tail;
  return make_error(msg);
}

bool ManagedEngine::sleep_unless_stopped(std::chrono::milliseconds d) {
  std::unique_lock<std::mutex> lock(mu_);
  return !cv_.wait_for(lock, d, [&] { return stop_; });
}

void ManagedEngine::supervise() {
  const std::string name = engine_name(spec_.kind);
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) break;
      state_ = State::Starting;
      cv_.notify_all();
    }
    std::string err;
    bool fatal = false;  // retrying cannot help (the executable is missing)
    std::shared_ptr<ChildProcess> child;
    auto port = pick_free_port();
    if (!port) {
      err = port.error().message;
    } else {
      auto c = ChildProcess::spawn(spec_.argv(port.value()), log_, "[" + name + " " + spec_.model_id + "] ");
      if (!c) {
        err = name + " engine could not be started: " + c.error().message;
        fatal = true;
      } else {
        child = std::move(c.value());
      }
    }
    if (child) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        child_ = child;
        pid_ = child->pid();
        port_ = port.value();
        ++starts_;
      }
      UpstreamTarget t;
      t.port = port.value();
      const auto deadline = std::chrono::steady_clock::now() + spec_.timings.load_timeout;
      bool ready = false;
      while (std::chrono::steady_clock::now() < deadline && !child->exit_status()) {
        const int s = probe_upstream(t, "/health", std::chrono::milliseconds(500));
        if (s == 200 || (s == 404 && probe_upstream(t, "/v1/models", std::chrono::milliseconds(500)) == 200)) {
          ready = true;
          break;
        }
        if (!sleep_unless_stopped(kReadyPoll)) break;
      }
      bool stopping = false;
      {
        std::lock_guard<std::mutex> lock(mu_);
        stopping = stop_;
        if (ready && !stopping) {
          state_ = State::Ready;
          restarts_ = 0;
          last_error_.clear();
          cv_.notify_all();
        }
      }
      if (stopping) break;
      if (ready) {
        while (!child->wait_exit(std::chrono::milliseconds(100))) {
          std::lock_guard<std::mutex> lock(mu_);
          if (stop_) break;
        }
        if (!child->exit_status()) break;  // stop requested
        err = name + " engine for model '" + spec_.model_id + "' crashed: it " + describe_exit(*child->exit_status());
      } else if (auto st = child->exit_status()) {
        err = name + " engine for model '" + spec_.model_id + "' " + describe_exit(*st) + " before becoming ready";
      } else {
        err = name + " engine for model '" + spec_.model_id + "' did not become ready within " +
              std::to_string(spec_.timings.load_timeout.count()) + " ms";
        child->terminate(spec_.timings.stop_grace);
      }
      std::fprintf(stderr, "%s\n", err.c_str());
    }
    std::chrono::milliseconds delay{0};
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++restarts_;
      last_error_ = failure_error(err).message;
      if (fatal || restarts_ > spec_.timings.max_restarts) {
        state_ = State::Failed;
        if (!fatal)
          last_error_ = failure_error(err + " (gave up after " + std::to_string(restarts_) + " attempts)").message;
        cv_.notify_all();
        return;
      }
      state_ = State::Restarting;
      cv_.notify_all();
      delay = spec_.timings.backoff * (1LL << std::min(restarts_ - 1, 20));
      delay = std::min(delay, spec_.timings.backoff_max);
    }
    std::fprintf(stderr, "%s engine for model '%s': restarting in %lld ms (attempt %d of %d)\n", name.c_str(),
                 spec_.model_id.c_str(), static_cast<long long>(delay.count()), restarts_ + 1,
                 spec_.timings.max_restarts + 1);
    if (!sleep_unless_stopped(delay)) break;
  }
  std::shared_ptr<ChildProcess> child;
  {
    std::lock_guard<std::mutex> lock(mu_);
    child = child_;
    state_ = State::Stopped;
    cv_.notify_all();
  }
  if (child) child->terminate(spec_.timings.stop_grace);
}

Status ManagedEngine::wait_ready(std::chrono::milliseconds timeout, const CancelToken* cancel) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    if (state_ == State::Ready) return Ok{};
    if (state_ == State::Failed) return make_error(last_error_);
    if (state_ == State::Stopped) return make_error(label() + " was stopped");
    if (cancel != nullptr && cancel->cancelled()) return make_error("cancelled");
    if (std::chrono::steady_clock::now() >= deadline) {
      return failure_error(label() + " is not ready after " + std::to_string(timeout.count()) + " ms" +
                           (last_error_.empty() ? "" : " (" + last_error_ + ")"));
    }
    cv_.wait_for(lock, std::chrono::milliseconds(100));
  }
}

BackendInfo ManagedEngine::info() const { return {spec_.kind, spec_.model_id, engine_capabilities(spec_.kind)}; }

Result<std::vector<Token>> ManagedEngine::tokenize(std::string_view text, TokenizeOptions opts) {
  MINERVA_CHECK(wait_ready(spec_.timings.load_timeout));
  if (!engine_capabilities(spec_.kind).tokenize) return make_error(label() + " does not offer tokenization");
  UpstreamTarget t;
  t.port = port_;
  t.label = label();
  MINERVA_TRY(auto j, post_json(t, "/tokenize", {{"content", std::string(text)}, {"add_special", opts.add_special}}));
  std::vector<Token> out;
  if (!j.contains("tokens") || !j["tokens"].is_array()) return make_error(label() + ": /tokenize answered no tokens");
  for (const auto& v : j["tokens"]) {
    if (v.is_number_integer()) out.push_back(v.get<Token>());
  }
  return out;
}

Result<std::string> ManagedEngine::detokenize(std::span<const Token> tokens) {
  MINERVA_CHECK(wait_ready(spec_.timings.load_timeout));
  if (!engine_capabilities(spec_.kind).tokenize) return make_error(label() + " does not offer detokenization");
  UpstreamTarget t;
  t.port = port_;
  t.label = label();
  MINERVA_TRY(auto j, post_json(t, "/detokenize", {{"tokens", std::vector<Token>(tokens.begin(), tokens.end())}}));
  if (!j.contains("content") || !j["content"].is_string())
    return make_error(label() + ": /detokenize answered no content");
  return j["content"].get<std::string>();
}

Completion ManagedEngine::generate(const BackendRequest& req, CompletionSink* sink, const CancelToken& cancel) {
  Completion c;
  {
    std::unique_lock<std::mutex> lock(mu_);
    while (in_flight_ >= std::max(1, spec_.timings.max_concurrent)) {
      if (cancel.cancelled()) {
        c.failure = FailureKind::Cancelled;
        c.status = 499;
        return c;
      }
      cv_.wait_for(lock, std::chrono::milliseconds(100));
    }
    ++in_flight_;
  }
  struct Release {
    ManagedEngine* e;
    ~Release() {
      std::lock_guard<std::mutex> lock(e->mu_);
      --e->in_flight_;
      e->cv_.notify_all();
    }
  } release{this};

  if (Status st = wait_ready(spec_.timings.load_timeout, &cancel); !st) {
    c.failure = cancel.cancelled() ? FailureKind::Cancelled : FailureKind::Hard;
    c.status = 503;
    c.error = st.error();
    return c;
  }
  BackendRequest r = req;
  if (spec_.adjust_request) spec_.adjust_request(r);
  std::shared_ptr<ChildProcess> child;
  for (int attempt = 0;; ++attempt) {
    UpstreamTarget t;
    {
      std::lock_guard<std::mutex> lock(mu_);
      t.port = port_;
      child = child_;
    }
    t.label = label();
    c = proxy_completion(t, r, sink, cancel);
    // Nothing listening: the engine died before this request reached it (not because of it).
    // Wait for the supervisor to restart it and try once more.
    if (!c.not_connected || attempt > 0 || !child || !child->wait_exit(std::chrono::seconds(1))) break;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock, std::chrono::seconds(2), [&] { return child_ != child || state_ != State::Ready; });
    }
    if (Status st = wait_ready(spec_.timings.load_timeout, &cancel); !st) {
      c.error = st.error();
      break;
    }
  }
  if (c.failure == FailureKind::Hard && child) {
    // A crash shows up first as a broken connection; say what happened to the process.
    if (child->wait_exit(std::chrono::milliseconds(300))) {
      c.error = failure_error(c.error.message + "; the engine process " + describe_exit(*child->exit_status()));
    }
  }
  return c;
}

nlohmann::json ManagedEngine::status() const {
  std::lock_guard<std::mutex> lock(mu_);
  nlohmann::json j = {{"state", state_name(state_)}, {"starts", starts_}, {"restarts", restarts_}};
  if (pid_ > 0) j["pid"] = pid_;
  if (port_ > 0) j["port"] = port_;
  if (!last_error_.empty()) j["error"] = last_error_;
  j["in_flight"] = in_flight_;
  const std::string tail = log_->tail(kQuotedLogLines);
  if (!tail.empty()) j["log_tail"] = tail;
  return j;
}

}  // namespace minerva
