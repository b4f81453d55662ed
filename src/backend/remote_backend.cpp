#include "backend/remote_backend.h"

#include <cstdio>

namespace minerva {

Result<std::unique_ptr<RemoteBackend>> RemoteBackend::create(RemoteSpec spec) {
  if (spec.urls.empty()) return make_error("model '" + spec.model_id + "': an openai backend needs at least one url");
  auto b = std::unique_ptr<RemoteBackend>(new RemoteBackend());
  for (const auto& url : spec.urls) {
    MINERVA_TRY(UpstreamTarget t, parse_upstream_url(url));
    t.api_key = spec.api_key;
    Upstream u;
    u.url = url;
    u.target = t;
    b->ups_.push_back(std::move(u));
  }
  b->spec_ = std::move(spec);
  b->prober_ = std::thread([p = b.get()] { p->probe_loop(); });
  return b;
}

RemoteBackend::~RemoteBackend() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    cv_.notify_all();
  }
  prober_.join();
}

void RemoteBackend::probe_loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!cv_.wait_for(lock, spec_.probe_interval, [&] { return stop_; })) {
    for (size_t i = 0; i < ups_.size(); ++i) {
      if (ups_[i].healthy) continue;
      const UpstreamTarget t = ups_[i].target;
      lock.unlock();
      const int s = probe_upstream(t, t.base_path + "/models", std::chrono::milliseconds(1000));
      lock.lock();
      if (s == 200) {
        ups_[i].healthy = true;
        std::fprintf(stderr, "openai upstream %s is back for model '%s'\n", ups_[i].url.c_str(),
                     spec_.model_id.c_str());
      }
    }
  }
}

BackendInfo RemoteBackend::info() const {
  return {EngineKind::OpenAi, spec_.model_id, engine_capabilities(EngineKind::OpenAi)};
}

Result<std::vector<Token>> RemoteBackend::tokenize(std::string_view, TokenizeOptions) {
  return make_error("model '" + spec_.model_id + "' is served by a remote openai upstream, which has no tokenizer API");
}

Result<std::string> RemoteBackend::detokenize(std::span<const Token>) {
  return make_error("model '" + spec_.model_id + "' is served by a remote openai upstream, which has no tokenizer API");
}

Completion RemoteBackend::generate(const BackendRequest& req, CompletionSink* sink, const CancelToken& cancel) {
  BackendRequest r = req;
  if (!spec_.upstream_model.empty()) r.body["model"] = spec_.upstream_model;
  std::vector<bool> tried(ups_.size(), false);
  Completion last;
  last.failure = FailureKind::Hard;
  last.status = 503;
  std::string errors;
  for (;;) {
    size_t pick = ups_.size();
    UpstreamTarget t;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (size_t i = 0; i < ups_.size(); ++i) {
        if (!ups_[i].healthy || tried[i]) continue;
        // Least outstanding; ties go to the one picked longest ago (round robin when idle).
        if (pick == ups_.size() || ups_[i].outstanding < ups_[pick].outstanding ||
            (ups_[i].outstanding == ups_[pick].outstanding && ups_[i].picked < ups_[pick].picked)) {
          pick = i;
        }
      }
      if (pick == ups_.size()) break;
      ++ups_[pick].outstanding;
      ups_[pick].picked = ++picks_;
      t = ups_[pick].target;
    }
    tried[pick] = true;
    t.label = "openai upstream " + ups_[pick].url;
    Completion c = proxy_completion(t, r, sink, cancel);
    {
      std::lock_guard<std::mutex> lock(mu_);
      --ups_[pick].outstanding;
      if (c.failure == FailureKind::None) ++ups_[pick].served;
      if (c.failure == FailureKind::Hard) {
        ups_[pick].healthy = false;  // out until a probe answers
        ups_[pick].last_error = c.error.message;
      }
    }
    if (c.failure != FailureKind::Hard || c.sent_bytes) return c;
    errors += (errors.empty() ? "" : "; ") + c.error.message;
    last = c;
  }
  last.error = make_error("no healthy openai upstream for model '" + spec_.model_id + "'" +
                          (errors.empty() ? std::string(" (all are out, waiting for probes)") : ": " + errors));
  return last;
}

nlohmann::json RemoteBackend::status() const {
  std::lock_guard<std::mutex> lock(mu_);
  nlohmann::json ups = nlohmann::json::array();
  bool any = false;
  for (const auto& u : ups_) {
    any = any || u.healthy;
    nlohmann::json j = {{"url", u.url}, {"healthy", u.healthy}, {"outstanding", u.outstanding}, {"served", u.served}};
    if (!u.last_error.empty()) j["error"] = u.last_error;
    ups.push_back(j);
  }
  return {{"state", any ? "loaded" : "failed"}, {"upstreams", ups}};
}

}  // namespace minerva
