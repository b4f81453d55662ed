#include "backend/registry.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "backend/remote_backend.h"

namespace minerva {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

bool has_suffix(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

Result<EngineKind> engine_field(const nlohmann::json& v, const std::string& where) {
  if (!v.is_string()) return make_error(where + ": expected a backend name string");
  auto k = parse_engine_name(v.get<std::string>());
  if (!k) {
    return make_error(where + ": unknown backend '" + v.get<std::string>() +
                      "' (expected native, llama_cpp, mlx or openai)");
  }
  return *k;
}

Result<std::vector<std::string>> string_list(const nlohmann::json& v, const std::string& where) {
  std::vector<std::string> out;
  if (!v.is_array()) return make_error(where + ": expected an array of strings");
  for (const auto& s : v) {
    if (!s.is_string()) return make_error(where + ": expected an array of strings");
    out.push_back(s.get<std::string>());
  }
  return out;
}

}  // namespace

Result<std::vector<ModelConfig>> scan_models_dir(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return make_error("--models-dir " + dir + ": not a directory");
  std::vector<fs::path> entries;
  for (const auto& e : fs::directory_iterator(dir, ec)) entries.push_back(e.path());
  if (ec) return make_error("--models-dir " + dir + ": " + ec.message());
  std::sort(entries.begin(), entries.end());
  std::vector<ModelConfig> out;
  for (const auto& p : entries) {
    const std::string name = p.filename().string();
    if (name.empty() || name[0] == '.') continue;
    auto d = detect_model_format(p.string());
    if (!d) {
      std::fprintf(stderr, "models-dir: skipping %s\n", d.error().message.c_str());
      continue;
    }
    ModelConfig m;
    m.id = d->format == ModelFormat::Gguf && has_suffix(name, ".gguf") ? name.substr(0, name.size() - 5) : name;
    m.path = p.string();
    out.push_back(std::move(m));
  }
  return out;
}

Result<std::vector<ModelConfig>> load_models_config(const std::string& path, RegistryOptions& opts) {
  std::ifstream in(path);
  if (!in) return make_error(path + ": cannot read the config file");
  auto j = nlohmann::json::parse(in, nullptr, false);
  if (!j.is_object()) return make_error(path + ": not a JSON object");
  auto num = [&](const char* key) -> Result<std::optional<double>> {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return std::optional<double>{};
    if (!it->is_number() || it->get<double>() < 0) return make_error(path + ": '" + key + "' must be a number >= 0");
    return std::optional<double>(it->get<double>());
  };
  MINERVA_TRY(auto max_loaded, num("max_loaded"));
  if (max_loaded) opts.max_loaded = static_cast<size_t>(*max_loaded);
  MINERVA_TRY(auto ttl, num("idle_ttl_s"));
  if (ttl) opts.idle_ttl = std::chrono::milliseconds(static_cast<int64_t>(*ttl * 1000));
  for (const char* key : {"llama_server", "mlx_command"}) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) continue;
    if (!it->is_string()) return make_error(path + ": '" + key + "' must be a string");
    (std::string(key) == "llama_server" ? opts.commands.llama_server : opts.commands.mlx_command) = *it;
  }
  std::vector<ModelConfig> out;
  auto models = j.find("models");
  if (models == j.end() || !models->is_array()) return make_error(path + ": 'models' must be an array");
  const fs::path base = fs::path(path).parent_path();
  for (size_t i = 0; i < models->size(); ++i) {
    const auto& e = (*models)[i];
    const std::string where = path + ": models[" + std::to_string(i) + "]";
    if (!e.is_object()) return make_error(where + ": expected an object");
    ModelConfig m;
    for (const char* key : {"id", "alias", "path", "api_key", "upstream_model"}) {
      auto it = e.find(key);
      if (it == e.end() || it->is_null()) continue;
      if (!it->is_string()) return make_error(where + "." + key + ": expected a string");
      const std::string v = *it;
      const std::string k = key;
      if (k == "id" || k == "alias") m.id = v;
      if (k == "path") m.path = fs::path(v).is_absolute() || base.empty() ? v : (base / v).string();
      if (k == "api_key") m.api_key = v;
      if (k == "upstream_model") m.upstream_model = v;
    }
    if (auto it = e.find("backend"); it != e.end() && !it->is_null()) {
      MINERVA_TRY(m.backend, engine_field(*it, where + ".backend"));
    }
    if (auto it = e.find("fallback"); it != e.end() && !it->is_null()) {
      if (!it->is_array()) return make_error(where + ".fallback: expected an array of backend names");
      for (size_t k = 0; k < it->size(); ++k) {
        MINERVA_TRY(EngineKind kind, engine_field((*it)[k], where + ".fallback[" + std::to_string(k) + "]"));
        m.fallback.push_back(kind);
      }
    }
    if (auto it = e.find("engine_args"); it != e.end() && !it->is_null()) {
      MINERVA_TRY(m.engine_args, string_list(*it, where + ".engine_args"));
    }
    if (auto it = e.find("urls"); it != e.end() && !it->is_null()) {
      MINERVA_TRY(m.urls, string_list(*it, where + ".urls"));
    }
    if (auto it = e.find("url"); it != e.end() && it->is_string()) m.urls.push_back(*it);
    if (auto it = e.find("idle_ttl_s"); it != e.end() && !it->is_null()) {
      if (!it->is_number() || it->get<double>() < 0) return make_error(where + ".idle_ttl_s: must be a number >= 0");
      m.idle_ttl = std::chrono::milliseconds(static_cast<int64_t>(it->get<double>() * 1000));
    }
    const bool remote = m.backend == EngineKind::OpenAi;
    if (remote && m.urls.empty()) return make_error(where + ": an openai backend needs 'urls'");
    if (!remote && m.path.empty()) return make_error(where + ": 'path' is required");
    if (m.id.empty()) {
      if (remote) return make_error(where + ": an openai backend needs an 'id'");
      std::string name = fs::path(m.path).filename().string();
      if (has_suffix(name, ".gguf")) name.resize(name.size() - 5);
      m.id = name;
    }
    for (const auto& prev : out) {
      if (prev.id == m.id) return make_error(where + ": duplicate model id '" + m.id + "'");
    }
    out.push_back(std::move(m));
  }
  return out;
}

bool request_needs_grammar(const nlohmann::ordered_json& body) {
  if (auto g = body.find("grammar"); g != body.end() && !g->is_null()) return true;
  if (auto g = body.find("json_schema"); g != body.end() && !g->is_null()) return true;
  auto rf = body.find("response_format");
  if (rf == body.end() || !rf->is_object()) return false;
  auto t = rf->find("type");
  return t != rf->end() && t->is_string() && *t != "text";
}

// --- Lease ---

ModelRegistry::Lease::Lease(ModelRegistry* r, std::string key, std::shared_ptr<InferenceBackend> b)
    : reg_(r), key_(std::move(key)), backend_(std::move(b)) {}
ModelRegistry::Lease::Lease(Lease&& o) noexcept
    : reg_(std::exchange(o.reg_, nullptr)), key_(std::move(o.key_)), backend_(std::move(o.backend_)) {}
ModelRegistry::Lease& ModelRegistry::Lease::operator=(Lease&& o) noexcept {
  if (this != &o) {
    if (reg_ != nullptr) reg_->release(key_);
    reg_ = std::exchange(o.reg_, nullptr);
    key_ = std::move(o.key_);
    backend_ = std::move(o.backend_);
  }
  return *this;
}
ModelRegistry::Lease::~Lease() {
  if (reg_ != nullptr) reg_->release(key_);
}

// --- Registry ---

ModelRegistry::ModelRegistry(RegistryOptions opts, std::vector<ModelConfig> models) : opts_(std::move(opts)) {
  for (auto& m : models) {
    ModelState s;
    s.config = std::move(m);
    if (s.config.backend == EngineKind::OpenAi) {
      s.detected.format = ModelFormat::Gguf;  // not used for remote models
    } else if (auto d = detect_model_format(s.config.path); d) {
      s.detected = std::move(d.value());
    } else {
      s.detect_error = d.error().message;
    }
    models_.push_back(std::move(s));
  }
  reaper_ = std::thread([this] { reaper(); });
}

ModelRegistry::~ModelRegistry() {
  std::map<std::string, Instance> doomed;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    cv_.notify_all();
  }
  reaper_.join();
  {
    std::lock_guard<std::mutex> lock(mu_);
    doomed.swap(instances_);
  }
  doomed.clear();  // stops engines outside the lock
}

std::string ModelRegistry::key(const std::string& model, EngineKind e) { return model + "\n" + engine_name(e); }

const ModelConfig* ModelRegistry::find(const std::string& id) const {
  for (const auto& m : models_) {
    if (m.config.id == id) return &m.config;
  }
  if (models_.size() == 1 || (id.empty() && !models_.empty())) return &models_.front().config;
  return nullptr;
}

std::vector<std::string> ModelRegistry::model_ids() const {
  std::vector<std::string> ids;
  for (const auto& m : models_) ids.push_back(m.config.id);
  return ids;
}

std::optional<std::string> ModelRegistry::native_unsupported(ModelState& m) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!m.native_checked) {
    m.native_checked = true;
    if (Status st = native_engine_supports(m.config.path); !st) m.native_unsupported = st.error().message;
  }
  return m.native_unsupported;
}

std::variant<std::vector<EngineKind>, SelectError> ModelRegistry::plan(const ModelConfig& cfg,
                                                                       const std::string& requested, bool structured) {
  ModelState* m = nullptr;
  for (auto& s : models_) {
    if (&s.config == &cfg) m = &s;
  }
  if (m == nullptr) return SelectError{404, "unknown model", FailureKind::Client};
  auto bad = [](std::string msg) { return SelectError{400, std::move(msg), FailureKind::Client}; };
  const std::string& id = cfg.id;
  if (!m->detect_error.empty()) return SelectError{500, m->detect_error, FailureKind::Hard};
  if (cfg.backend == EngineKind::OpenAi) {
    if (requested == "auto" || requested == "fallback" || requested == "openai") return std::vector{EngineKind::OpenAi};
    return bad("model '" + id + "' is served by an openai upstream; backend '" + requested + "' does not apply");
  }
  const bool gguf = m->detected.format == ModelFormat::Gguf;
  auto allowed = [&](EngineKind k) {
    return gguf ? (k == EngineKind::Native || k == EngineKind::LlamaCpp) : k == EngineKind::Mlx;
  };
  const std::string what = gguf ? "a GGUF file" : std::string(format_name(m->detected.format)) + " model directory";
  auto grammar_error = [&](EngineKind k) {
    return bad("model '" + id + "' would be served by " + engine_name(k) +
               ", which does not support constrained output (response_format / grammar)");
  };
  if (auto k = parse_engine_name(requested); k && *k != EngineKind::OpenAi) {
    if (!allowed(*k)) {
      return bad("backend '" + requested + "' cannot serve model '" + id + "' (" + what + "; " +
                 (gguf ? "use native or llama_cpp" : "use mlx") + ")");
    }
    if (structured && !engine_capabilities(*k).grammar) return grammar_error(*k);
    return std::vector{*k};
  }
  if (requested == "fallback") {
    std::vector<EngineKind> chain = cfg.fallback;
    if (chain.empty())
      chain = gguf ? std::vector{EngineKind::Native, EngineKind::LlamaCpp} : std::vector{EngineKind::Mlx};
    std::vector<EngineKind> out;
    for (EngineKind k : chain) {
      if (allowed(k) && (!structured || engine_capabilities(k).grammar)) out.push_back(k);
    }
    if (out.empty()) return bad("no backend in model '" + id + "''s fallback chain can serve this request");
    return out;
  }
  if (requested != "auto") return bad("unknown backend '" + requested + "'");
  EngineKind choice = EngineKind::Mlx;
  if (cfg.backend && allowed(*cfg.backend)) {
    choice = *cfg.backend;
  } else if (gguf) {
    choice = native_unsupported(*m) ? EngineKind::LlamaCpp : EngineKind::Native;
  }
  if (structured && !engine_capabilities(choice).grammar) {
    // auto routes constrained output to an engine that can do it, when the format allows one.
    for (EngineKind k : {EngineKind::Native, EngineKind::LlamaCpp}) {
      if (allowed(k) && (k != EngineKind::Native || !native_unsupported(*m))) return std::vector{k};
    }
    return grammar_error(choice);
  }
  return std::vector{choice};
}

std::variant<std::shared_ptr<InferenceBackend>, SelectError> ModelRegistry::create(const ModelState& m,
                                                                                   EngineKind engine,
                                                                                   const CancelToken& cancel) {
  const ModelConfig& c = m.config;
  auto fail = [](std::string msg, int status = 503) { return SelectError{status, std::move(msg), FailureKind::Hard}; };
  switch (engine) {
    case EngineKind::Native: {
      if (m.detected.format != ModelFormat::Gguf) {
        return fail("the native engine loads GGUF files; model '" + c.id + "' is a " + format_name(m.detected.format) +
                    " directory");
      }
      auto b = NativeBackend::load(c.path, c.id, opts_.native);
      if (!b) return fail(b.error().message, is_native_unsupported_error(b.error()) ? 501 : 500);
      return std::shared_ptr<InferenceBackend>(std::move(b.value()));
    }
    case EngineKind::LlamaCpp:
    case EngineKind::Mlx: {
      auto e = engine == EngineKind::LlamaCpp
                   ? start_llama_cpp(c.id, c.path, c.engine_args, opts_.commands, opts_.timings)
                   : start_mlx(c.id, c.path, c.engine_args, opts_.commands, opts_.timings);
      if (!e) {
        std::string msg = e.error().message;
        if (engine == EngineKind::LlamaCpp && m.native_unsupported) msg = *m.native_unsupported + "; and " + msg;
        return fail(msg);
      }
      std::shared_ptr<ManagedEngine> me = std::move(e.value());
      if (Status st = me->wait_ready(
              opts_.timings.load_timeout * (opts_.timings.max_restarts + 1) + opts_.timings.backoff_max, &cancel);
          !st) {
        return fail(st.error().message);
      }
      return std::shared_ptr<InferenceBackend>(me);
    }
    case EngineKind::OpenAi: {
      RemoteSpec spec;
      spec.model_id = c.id;
      spec.urls = c.urls;
      spec.api_key = c.api_key;
      spec.upstream_model = c.upstream_model;
      spec.probe_interval = opts_.probe_interval;
      auto r = RemoteBackend::create(std::move(spec));
      if (!r) return fail(r.error().message, 500);
      return std::shared_ptr<InferenceBackend>(std::move(r.value()));
    }
  }
  return fail("unknown engine");
}

std::variant<ModelRegistry::Lease, SelectError> ModelRegistry::acquire(const ModelConfig& cfg, EngineKind engine,
                                                                       const CancelToken& cancel) {
  const ModelState* m = nullptr;
  for (const auto& s : models_) {
    if (&s.config == &cfg) m = &s;
  }
  if (m == nullptr) return SelectError{404, "unknown model", FailureKind::Client};
  const std::string k = key(cfg.id, engine);
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    auto it = instances_.find(k);
    if (it == instances_.end()) break;
    Instance& inst = it->second;
    if (inst.state == Instance::State::Loaded) {
      ++inst.active;
      inst.last_used = Clock::now();
      return Lease(this, k, inst.backend);
    }
    if (inst.state == Instance::State::Failed) return SelectError{inst.error_status, inst.error, FailureKind::Hard};
    if (cancel.cancelled()) return SelectError{499, "cancelled", FailureKind::Cancelled};
    cv_.wait_for(lock, std::chrono::milliseconds(100));  // another request is loading it
  }
  Instance& inst = instances_[k];
  inst.model_id = cfg.id;
  inst.engine = engine;
  inst.state = Instance::State::Loading;
  lock.unlock();
  std::fprintf(stderr, "loading model '%s' on %s\n", cfg.id.c_str(), engine_name(engine));
  auto created = create(*m, engine, cancel);
  lock.lock();
  Instance& done = instances_[k];
  if (auto* err = std::get_if<SelectError>(&created)) {
    if (err->kind == FailureKind::Hard && !cancel.cancelled()) {
      done.state = Instance::State::Failed;  // kept, so /v1/models shows why
      done.error = err->message;
      done.error_status = err->status;
    } else {
      instances_.erase(k);
    }
    cv_.notify_all();
    return *err;
  }
  done.backend = std::get<std::shared_ptr<InferenceBackend>>(std::move(created));
  done.state = Instance::State::Loaded;
  done.active = 1;
  done.last_used = Clock::now();
  Lease lease(this, k, done.backend);
  cv_.notify_all();
  lock.unlock();
  evict_lru(k);
  return lease;
}

void ModelRegistry::release(const std::string& k) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = instances_.find(k);
  if (it == instances_.end()) return;
  --it->second.active;
  it->second.last_used = Clock::now();
}

void ModelRegistry::evict_lru(const std::string& keep) {
  if (opts_.max_loaded == 0) return;
  std::vector<std::shared_ptr<InferenceBackend>> doomed;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (;;) {
      size_t loaded = 0;
      auto victim = instances_.end();
      for (auto it = instances_.begin(); it != instances_.end(); ++it) {
        if (it->second.state != Instance::State::Loaded) continue;
        ++loaded;
        if (it->first == keep || it->second.active > 0) continue;
        if (victim == instances_.end() || it->second.last_used < victim->second.last_used) victim = it;
      }
      if (loaded <= opts_.max_loaded || victim == instances_.end()) break;
      std::fprintf(stderr, "unloading model '%s' (%s): least recently used, --max-loaded %zu\n",
                   victim->second.model_id.c_str(), engine_name(victim->second.engine), opts_.max_loaded);
      doomed.push_back(std::move(victim->second.backend));
      instances_.erase(victim);
    }
  }
  doomed.clear();
}

Status ModelRegistry::unload(const std::string& id) {
  std::vector<std::shared_ptr<InferenceBackend>> doomed;
  {
    std::lock_guard<std::mutex> lock(mu_);
    bool known = false;
    for (const auto& m : models_) known = known || m.config.id == id;
    if (!known) return make_error("unknown model '" + id + "'");
    for (auto it = instances_.begin(); it != instances_.end();) {
      if (it->second.model_id == id && it->second.state != Instance::State::Loading) {
        doomed.push_back(std::move(it->second.backend));
        it = instances_.erase(it);
      } else {
        ++it;
      }
    }
  }
  doomed.clear();
  return Ok{};
}

void ModelRegistry::reaper() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    auto tick = std::chrono::milliseconds(1000);
    for (const auto& m : models_) {
      const auto ttl = m.config.idle_ttl.value_or(opts_.idle_ttl);
      if (ttl.count() > 0) tick = std::min(tick, std::max(std::chrono::milliseconds(20), ttl / 4));
    }
    if (cv_.wait_for(lock, tick, [&] { return stop_; })) return;
    std::vector<std::shared_ptr<InferenceBackend>> doomed;
    const auto now = Clock::now();
    for (auto it = instances_.begin(); it != instances_.end();) {
      const Instance& inst = it->second;
      std::chrono::milliseconds ttl = opts_.idle_ttl;
      for (const auto& m : models_) {
        if (m.config.id == inst.model_id && m.config.idle_ttl) ttl = *m.config.idle_ttl;
      }
      if (inst.state == Instance::State::Loaded && inst.active == 0 && ttl.count() > 0 && now - inst.last_used > ttl) {
        std::fprintf(stderr, "unloading model '%s' (%s): idle for %lld ms\n", inst.model_id.c_str(),
                     engine_name(inst.engine), static_cast<long long>(ttl.count()));
        doomed.push_back(std::move(it->second.backend));
        it = instances_.erase(it);
      } else {
        ++it;
      }
    }
    lock.unlock();
    doomed.clear();
    lock.lock();
  }
}

nlohmann::json ModelRegistry::list() {
  nlohmann::json data = nlohmann::json::array();
  for (auto& m : models_) {
    nlohmann::json e = {{"id", m.config.id}, {"object", "model"}, {"owned_by", "minerva"}};
    e["format"] = m.config.backend == EngineKind::OpenAi ? "remote" : format_name(m.detected.format);
    if (!m.config.path.empty()) e["path"] = m.config.path;
    std::string state = "unloaded";
    std::string backend;
    nlohmann::json engines = nlohmann::json::object();
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (const auto& [k, inst] : instances_) {
        if (inst.model_id != m.config.id) continue;
        nlohmann::json st;
        if (inst.state == Instance::State::Loading) {
          st = {{"state", "loading"}};
        } else if (inst.state == Instance::State::Failed) {
          st = {{"state", "failed"}, {"error", inst.error}};
        } else {
          st = inst.backend->status();
        }
        engines[engine_name(inst.engine)] = st;
        const std::string s = st.value("state", "loaded");
        // The most useful state wins: loaded > loading/restarting > failed.
        auto rank = [](const std::string& x) {
          return x == "loaded" ? 3 : (x == "loading" || x == "restarting") ? 2 : x == "failed" ? 1 : 0;
        };
        if (rank(s) > rank(state) || backend.empty()) {
          if (rank(s) >= rank(state)) {
            state = s;
            backend = engine_name(inst.engine);
          }
        }
      }
    }
    if (!m.detect_error.empty()) {
      state = "failed";
      e["error"] = m.detect_error;
    }
    if (backend.empty() && m.detect_error.empty()) {
      auto p = plan(m.config, "auto", false);
      if (auto* kinds = std::get_if<std::vector<EngineKind>>(&p)) backend = engine_name(kinds->front());
    }
    e["backend"] = backend;
    e["state"] = state;
    e["ready"] = state == "loaded";
    if (!engines.empty()) e["engines"] = engines;
    data.push_back(e);
  }
  return data;
}

SchedulerStats ModelRegistry::native_stats() const {
  SchedulerStats sum;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [k, inst] : instances_) {
    if (inst.state != Instance::State::Loaded || inst.engine != EngineKind::Native) continue;
    const SchedulerStats s = static_cast<const NativeBackend&>(*inst.backend).stats();
    sum.slots += s.slots;
    sum.busy_slots += s.busy_slots;
    sum.queued += s.queued;
    sum.generated_total += s.generated_total;
    sum.prompt_total += s.prompt_total;
  }
  return sum;
}

}  // namespace minerva
