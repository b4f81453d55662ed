#include "server/http_server.h"

#include <httplib.h>
#include <sys/socket.h>

#include <chrono>
#include <cstdio>
#include <optional>
#include <random>
#include <thread>

#include "backend/native_backend.h"
#include "backend/registry.h"
#include "server/metrics.h"
#include "server/request.h"
#include "server/responses.h"
#include "server/tool_calls.h"
#include "server/web_ui.h"

namespace minerva {

namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

// How often an idle stream sends an SSE comment: keeps proxies from timing out during a long
// prefill and notices a client that went away.
constexpr auto kKeepAliveInterval = std::chrono::seconds(5);
constexpr auto kPollInterval = std::chrono::milliseconds(100);

// Per-request facts for the access log line; handlers and the logger run on the same thread.
thread_local std::string t_log_tokens;

void send_json(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

void send_error(httplib::Response& res, const ApiError& e) {
  if (e.status == 503) res.set_header("Retry-After", "1");
  send_json(res, e.status, e.to_json());
}

// Constant-time comparison, so response timing does not reveal how much of a key matched.
bool keys_equal(const std::string& a, const std::string& b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i % (b.empty() ? 1 : b.size())]);
  return diff == 0 && !b.empty();
}

// An error from an engine (or the selection of one) as an OpenAI error object.
ApiError engine_error(int status, std::string message) {
  ApiError e;
  e.status = status;
  e.message = std::move(message);
  e.type = status == 503 ? "unavailable_error" : (status >= 500 ? "server_error" : "invalid_request_error");
  return e;
}

ApiError select_error(const SelectError& s, std::string param = {}) {
  ApiError e = engine_error(s.status == 499 ? 400 : s.status, s.message);
  if (s.status == 400) e.param = std::move(param);
  return e;
}

std::string file_name(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

struct StreamState;  // a streamed request, from the handler into the content provider

struct HttpServer::Impl {
  ServerOptions opts;
  httplib::Server http;
  Metrics metrics;
  std::unique_ptr<ModelRegistry> registry;  // set by bind()
  const ModelConfig* eager = nullptr;       // the -m model, loaded at start
  std::atomic<int> state{0};                // 0 loading, 1 ready, 2 failed (the -m model)
  std::string model_id;
  std::mt19937_64 id_rng{std::random_device{}()};
  std::mutex id_mu;

  explicit Impl(ServerOptions o) : opts(std::move(o)) {
    model_id = opts.alias.empty() ? file_name(opts.model_path) : opts.alias;
  }

  std::string new_id(const char* prefix) {
    std::lock_guard<std::mutex> lock(id_mu);
    char buf[40];
    std::snprintf(buf, sizeof buf, "%s%016llx", prefix, static_cast<unsigned long long>(id_rng()));
    return buf;
  }

  std::optional<ApiError> require_ready() const {
    if (state.load() == 1) return std::nullopt;
    ApiError e;
    e.status = 503;
    e.type = "unavailable_error";
    e.message = state.load() == 0 ? "the model is still loading" : "the model failed to load";
    return e;
  }

  std::optional<ApiError> check_content_type(const httplib::Request& req) const {
    const std::string ct = req.get_header_value("Content-Type");
    if (ct.empty() || ct.rfind("application/json", 0) == 0) return std::nullopt;
    return bad_request("Content-Type must be application/json (with curl: -H 'Content-Type: application/json'), got '" +
                       ct + "'");
  }

  // Parses the body of a JSON endpoint, or answers the error itself and returns nullopt.
  std::optional<nlohmann::ordered_json> json_body(const httplib::Request& req, httplib::Response& res) {
    if (auto e = check_content_type(req)) {
      send_error(res, *e);
      return std::nullopt;
    }
    auto parsed = parse_json_body(req.body);
    if (auto* e = std::get_if<ApiError>(&parsed)) {
      send_error(res, *e);
      return std::nullopt;
    }
    return std::get<nlohmann::ordered_json>(std::move(parsed));
  }

  // The chat prompt for a request, or the template's error as a 400.
  static std::variant<std::string, ApiError> chat_prompt(const NativeBackend& nb, const CompletionRequest& r,
                                                         bool add_generation_prompt) {
    auto text = nb.chat().render(r.messages, r.tools, add_generation_prompt, r.template_kwargs);
    if (!text) return bad_request("chat template: " + text.error().message, "messages");
    return std::move(text.value());
  }

  // The model a request names, or a 404 naming the ones there are.
  std::variant<const ModelConfig*, ApiError> find_model(const std::string& id) const {
    if (const ModelConfig* m = registry->find(id)) return m;
    std::string ids;
    for (const auto& x : registry->model_ids()) ids += (ids.empty() ? "" : ", ") + x;
    ApiError e;
    e.status = 404;
    e.type = "not_found_error";
    e.code = "model_not_found";
    e.param = "model";
    e.message = "model '" + id + "' not found (available: " + ids + ")";
    return e;
  }

  // Tokenizes for the native engine: chat template or prompt -> engine request.
  static std::optional<ApiError> prepare_native(const NativeBackend& nb, const CompletionRequest& r,
                                                GenerationRequest& g);

  void setup_routes();
  void handle_completion(const httplib::Request& req, httplib::Response& res, bool chat);
  void stream_completion(httplib::Response& res, const std::shared_ptr<StreamState>& st);
  void reply_whole(httplib::Response& res, EngineKind engine, InferenceBackend& b, const CompletionRequest& r,
                   const ResponseContext& rc, const Completion& c, Clock::time_point t0);
};

void HttpServer::Impl::setup_routes() {
  http.set_payload_max_length(opts.max_body_bytes);
  // A keep-alive connection holds its thread between requests, and every streaming request holds
  // one for its whole life: with fewer threads than clients, a connection waits for another to
  // close (seen as ~1 s p99 spikes with 16 clients and 12 threads). Idle threads cost nothing.
  const int n_http_threads = std::max(64, opts.parallel * 4 + 16);
  http.new_task_queue = [n_http_threads] { return new httplib::ThreadPool(static_cast<size_t>(n_http_threads)); };
  http.set_default_headers({{"Access-Control-Allow-Origin", "*"}});

  http.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    t_log_tokens.clear();
    if (req.method == "OPTIONS") {
      res.status = 204;
      res.set_header("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
      res.set_header("Access-Control-Allow-Headers", "Authorization, Content-Type");
      res.set_header("Access-Control-Max-Age", "86400");
      return httplib::Server::HandlerResponse::Handled;
    }
    if (opts.api_key.empty() || req.path == "/health" || is_web_ui_path(req.path))
      return httplib::Server::HandlerResponse::Unhandled;
    const std::string auth = req.get_header_value("Authorization");
    const std::string prefix = "Bearer ";
    if (auth.rfind(prefix, 0) != 0 || !keys_equal(auth.substr(prefix.size()), opts.api_key)) {
      ApiError e;
      e.status = 401;
      e.type = "authentication_error";
      e.code = "invalid_api_key";
      e.message = auth.empty() ? "missing API key: send 'Authorization: Bearer <key>'" : "invalid API key";
      send_error(res, e);
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });

  http.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    ApiError e;
    e.status = res.status;
    if (res.status == 404) {
      e.type = "not_found_error";
      e.message = "no route for " + req.method + " " + req.path;
    } else if (res.status == 413) {
      e.message = "the request body is too large";
    } else {
      e.type = res.status >= 500 ? "server_error" : "invalid_request_error";
      e.message = "HTTP error " + std::to_string(res.status);
    }
    send_error(res, e);
  });
  http.set_exception_handler([](const httplib::Request&, httplib::Response& res, const std::exception_ptr& ep) {
    ApiError e;
    e.status = 500;
    e.type = "server_error";
    e.message = "internal error";
    try {
      if (ep) std::rethrow_exception(ep);
    } catch (const std::exception& ex) {
      e.message = std::string("internal error: ") + ex.what();
    } catch (...) {
    }
    send_error(res, e);
  });
  http.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
    metrics.on_request(res.status);
    std::fprintf(stderr, "%s %s %d%s%s\n", req.method.c_str(), req.path.c_str(), res.status,
                 t_log_tokens.empty() ? "" : " ", t_log_tokens.c_str());
  });

  register_web_ui(http);
  http.Get("/health", [this](const httplib::Request&, httplib::Response& res) {
    const int s = state.load();
    send_json(res, s == 1 ? 200 : (s == 0 ? 503 : 500),
              {{"status", s == 1 ? "ok" : (s == 0 ? "loading model" : "error")}});
  });
  auto models = [this](const httplib::Request&, httplib::Response& res) {
    json data = registry->list();
    for (auto& m : data) m["created"] = unix_time();
    send_json(res, 200, {{"object", "list"}, {"data", data}});
  };
  http.Get("/v1/models", models);
  http.Get("/models", models);
  // POST /models/load {"model", "backend"?}: loads (or starts) it now; /models/unload stops it.
  http.Post("/models/load", [this](const httplib::Request& req, httplib::Response& res) {
    auto body = json_body(req, res);
    if (!body) return;
    const std::string id = body->value("model", std::string());
    const std::string backend = body->value("backend", std::string("auto"));
    auto found = find_model(id);
    if (auto* e = std::get_if<ApiError>(&found)) return send_error(res, *e);
    const ModelConfig& m = *std::get<const ModelConfig*>(found);
    auto plan = registry->plan(m, backend, false);
    if (auto* e = std::get_if<SelectError>(&plan)) return send_error(res, select_error(*e, "backend"));
    std::string errors;
    SelectError last;
    for (EngineKind k : std::get<std::vector<EngineKind>>(plan)) {
      auto lease = registry->acquire(m, k, CancelToken{});
      if (std::holds_alternative<ModelRegistry::Lease>(lease)) {
        return send_json(res, 200, {{"id", m.id}, {"state", "loaded"}, {"backend", engine_name(k)}});
      }
      last = std::get<SelectError>(lease);
      errors += std::string(errors.empty() ? "" : "; ") + engine_name(k) + ": " + last.message;
    }
    last.message = errors;
    send_error(res, select_error(last));
  });
  http.Post("/models/unload", [this](const httplib::Request& req, httplib::Response& res) {
    auto body = json_body(req, res);
    if (!body) return;
    const std::string id = body->value("model", std::string());
    if (Status st = registry->unload(id); !st) {
      ApiError e;
      e.status = 404;
      e.type = "not_found_error";
      e.param = "model";
      e.message = st.error().message;
      return send_error(res, e);
    }
    send_json(res, 200, {{"id", id}, {"state", "unloaded"}});
  });
  auto chat = [this](const httplib::Request& req, httplib::Response& res) { handle_completion(req, res, true); };
  auto completion = [this](const httplib::Request& req, httplib::Response& res) { handle_completion(req, res, false); };
  http.Post("/v1/chat/completions", chat);
  http.Post("/chat/completions", chat);
  http.Post("/v1/completions", completion);
  http.Post("/completions", completion);

  // /tokenize, /detokenize and /apply-template use the model's auto backend.
  auto model_backend = [this](const nlohmann::ordered_json& body,
                              httplib::Response& res) -> std::optional<ModelRegistry::Lease> {
    if (auto e = require_ready()) {
      send_error(res, *e);
      return std::nullopt;
    }
    auto found = find_model(body.value("model", std::string()));
    if (auto* e = std::get_if<ApiError>(&found)) {
      send_error(res, *e);
      return std::nullopt;
    }
    const ModelConfig& m = *std::get<const ModelConfig*>(found);
    auto plan = registry->plan(m, "auto", false);
    if (auto* e = std::get_if<SelectError>(&plan)) {
      send_error(res, select_error(*e));
      return std::nullopt;
    }
    auto lease = registry->acquire(m, std::get<std::vector<EngineKind>>(plan).front(), CancelToken{});
    if (auto* e = std::get_if<SelectError>(&lease)) {
      send_error(res, select_error(*e));
      return std::nullopt;
    }
    return std::get<ModelRegistry::Lease>(std::move(lease));
  };
  http.Post("/tokenize", [this, model_backend](const httplib::Request& req, httplib::Response& res) {
    auto body = json_body(req, res);
    if (!body) return;
    auto parsed = parse_tokenize_request(json(*body));
    if (auto* e = std::get_if<ApiError>(&parsed)) return send_error(res, *e);
    auto b = model_backend(*body, res);
    if (!b) return;
    const auto& tr = std::get<TokenizeRequest>(parsed);
    if (const auto* nb = dynamic_cast<const NativeBackend*>(b->get())) {
      return send_json(res, 200, tokenize_response(nb->tokenizer(), tr));
    }
    if (tr.with_pieces) return send_error(res, bad_request("'with_pieces' needs the native engine", "with_pieces"));
    auto ids = (*b)->tokenize(tr.content, TokenizeOptions{tr.add_special, tr.parse_special});
    if (!ids) return send_error(res, engine_error(502, ids.error().message));
    send_json(res, 200, {{"tokens", ids.value()}});
  });
  http.Post("/detokenize", [this, model_backend](const httplib::Request& req, httplib::Response& res) {
    auto body = json_body(req, res);
    if (!body) return;
    auto b = model_backend(*body, res);
    if (!b) return;
    if (const auto* nb = dynamic_cast<const NativeBackend*>(b->get())) {
      auto out = detokenize_response(nb->tokenizer(), json(*body));
      if (auto* e = std::get_if<ApiError>(&out)) return send_error(res, *e);
      return send_json(res, 200, std::get<json>(out));
    }
    auto it = body->find("tokens");
    if (it == body->end() || !it->is_array())
      return send_error(res, bad_request("'tokens' must be an array", "tokens"));
    std::vector<Token> ids;
    for (const auto& t : *it) {
      if (!t.is_number_integer()) return send_error(res, bad_request("'tokens' must contain token ids", "tokens"));
      ids.push_back(t.get<Token>());
    }
    auto text = (*b)->detokenize(ids);
    if (!text) return send_error(res, engine_error(502, text.error().message));
    send_json(res, 200, {{"content", text.value()}});
  });
  http.Post("/apply-template", [this, model_backend](const httplib::Request& req, httplib::Response& res) {
    auto body = json_body(req, res);
    if (!body) return;
    auto parsed = parse_completion_request(*body, true);
    if (auto* e = std::get_if<ApiError>(&parsed)) return send_error(res, *e);
    auto b = model_backend(*body, res);
    if (!b) return;
    const auto* nb = dynamic_cast<const NativeBackend*>(b->get());
    if (nb == nullptr) return send_error(res, bad_request("/apply-template needs a model on the native engine"));
    const CompletionRequest& r = std::get<CompletionRequest>(parsed);
    bool add_generation_prompt = true;
    if (auto it = body->find("add_generation_prompt"); it != body->end() && it->is_boolean()) {
      add_generation_prompt = it->get<bool>();
    }
    auto prompt = chat_prompt(*nb, r, add_generation_prompt);
    if (auto* e = std::get_if<ApiError>(&prompt)) return send_error(res, *e);
    send_json(res, 200, {{"prompt", std::get<std::string>(prompt)}});
  });
  http.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics.render(registry->native_stats()), "text/plain; version=0.0.4");
  });
}

std::optional<ApiError> HttpServer::Impl::prepare_native(const NativeBackend& nb, const CompletionRequest& r,
                                                         GenerationRequest& g) {
  const Tokenizer& tok = nb.tokenizer();
  if (r.chat) {
    auto prompt = chat_prompt(nb, r, true);
    if (auto* e = std::get_if<ApiError>(&prompt)) return *e;
    g.prompt = tok.encode(std::get<std::string>(prompt), TokenizeOptions{true, true});
    // Templates usually write BOS themselves; do not let the tokenizer add a second one.
    const Token bos = tok.vocab().bos();
    if (g.prompt.size() >= 2 && g.prompt[0] == bos && g.prompt[1] == bos) g.prompt.erase(g.prompt.begin());
  } else if (r.prompt_is_tokens) {
    g.prompt = r.prompt_tokens;
  } else {
    g.prompt = tok.encode(r.prompt_text, TokenizeOptions{true, true});
  }
  g.sampling = r.sampling;
  g.max_tokens = r.max_tokens;
  g.stop = r.stop;
  g.logprobs = r.logprobs;
  g.logit_bias = r.logit_bias;
  g.ignore_eos = r.ignore_eos;
  g.grammar = r.structured.grammar;
  return std::nullopt;
}

// A non-streamed answer: the native engine's text shaped here, or the engine's own JSON with
// the model id and "backend" added.
void HttpServer::Impl::reply_whole(httplib::Response& res, EngineKind engine, InferenceBackend& b,
                                   const CompletionRequest& r, const ResponseContext& rc, const Completion& c,
                                   Clock::time_point t0) {
  res.set_header("X-Minerva-Backend", engine_name(engine));
  if (engine != EngineKind::Native) {
    json body = c.upstream_body;
    if (body.contains("model")) body["model"] = rc.model;
    body["backend"] = engine_name(engine);
    return send_json(res, 200, body);
  }
  const double total = std::chrono::duration<double>(Clock::now() - t0).count();
  metrics.on_generation(c.usage, c.usage.queue_ms / 1000.0 + c.usage.prompt_ms / 1000.0, total);
  t_log_tokens = "tokens=" + std::to_string(c.usage.prompt_tokens) + "+" + std::to_string(c.usage.completion_tokens) +
                 " " + std::to_string(static_cast<int>(total * 1000)) + "ms";
  int64_t offset = 0;
  const auto& nb = static_cast<const NativeBackend&>(b);
  const json lp = r.logprobs >= 0 ? logprobs_json(nb.tokenizer(), rc.chat, c.logprobs, &offset) : json(nullptr);
  json body = completion_response(rc, c.text, c.finish, c.usage, lp);
  if (r.structured.tool_calls) apply_tool_calls(body, c.text);
  body["backend"] = "native";
  send_json(res, 200, body);
}

// Everything a streamed request carries from the handler into the chunked-content provider.
struct StreamState {
  CompletionRequest r;
  BackendRequest breq;
  ResponseContext rc;
  const ModelConfig* model = nullptr;
  std::vector<EngineKind> chain;
  size_t index = 0;                           // chain[index] is leased
  std::optional<ModelRegistry::Lease> lease;  // acquired before the headers were sent
  std::string errors;                         // hard failures of earlier engines
  CancelToken cancel;
  Clock::time_point t0;
};

void HttpServer::Impl::handle_completion(const httplib::Request& req, httplib::Response& res, bool chat) {
  const auto t0 = Clock::now();
  auto body = json_body(req, res);
  if (!body) return;
  auto parsed = parse_completion_request(*body, chat);
  if (auto* e = std::get_if<ApiError>(&parsed)) return send_error(res, *e);
  CompletionRequest r = std::get<CompletionRequest>(std::move(parsed));
  if (auto e = require_ready()) return send_error(res, *e);
  auto found = find_model(r.model);
  if (auto* e = std::get_if<ApiError>(&found)) return send_error(res, *e);
  const ModelConfig& model = *std::get<const ModelConfig*>(found);
  auto plan = registry->plan(model, r.backend, request_needs_grammar(*body));
  if (auto* e = std::get_if<SelectError>(&plan)) return send_error(res, select_error(*e, "backend"));

  auto st = std::make_shared<StreamState>();
  st->chain = std::get<std::vector<EngineKind>>(std::move(plan));
  st->breq.chat = chat;
  st->breq.stream = r.stream;
  st->breq.model_id = model.id;
  st->breq.body = *body;
  st->breq.body.erase("backend");  // Minerva-only
  st->rc = ResponseContext{new_id(chat ? "chatcmpl-" : "cmpl-"), model.id, unix_time(), chat};
  st->model = &model;
  st->t0 = t0;
  st->r = std::move(r);

  // Walks the chain from `from`: acquires each engine until one loads. Hard failures are noted
  // and skipped; anything else ends the walk with an error.
  auto acquire_from = [this, st](size_t from) -> std::optional<SelectError> {
    SelectError last{503, "no backend to try", FailureKind::Hard};
    for (size_t i = from; i < st->chain.size(); ++i) {
      auto lease = registry->acquire(*st->model, st->chain[i], st->cancel);
      if (auto* l = std::get_if<ModelRegistry::Lease>(&lease)) {
        st->lease = std::move(*l);
        st->index = i;
        return std::nullopt;
      }
      last = std::get<SelectError>(lease);
      st->errors += std::string(st->errors.empty() ? "" : "; ") + engine_name(st->chain[i]) + ": " + last.message;
      if (last.kind != FailureKind::Hard) return last;
    }
    if (st->chain.size() > 1) last.message = "every backend failed (" + st->errors + ")";
    return last;
  };
  if (auto e = acquire_from(0)) {
    ApiError err = select_error(*e);
    if (st->r.backend != "auto") err.param = "backend";  // the engine the client picked is unavailable
    return send_error(res, err);
  }
  if (st->r.stream) return stream_completion(res, st);

  for (;;) {
    InferenceBackend& b = **st->lease;
    const EngineKind engine = st->chain[st->index];
    if (engine == EngineKind::Native) {
      if (auto e = prepare_native(static_cast<const NativeBackend&>(b), st->r, st->breq.native)) {
        return send_error(res, *e);
      }
    }
    const Completion c = b.generate(st->breq, nullptr, st->cancel);
    if (c.failure == FailureKind::None) return reply_whole(res, engine, b, st->r, st->rc, c, t0);
    st->errors += std::string(st->errors.empty() ? "" : "; ") + engine_name(engine) + ": " + c.error.message;
    if (c.failure == FailureKind::Hard && st->index + 1 < st->chain.size()) {
      st->lease.reset();
      if (auto e = acquire_from(st->index + 1)) return send_error(res, select_error(*e));
      continue;
    }
    ApiError e = engine_error(c.status == 499 ? 500 : c.status, c.error.message);
    if (c.failure == FailureKind::Client && c.status == 400) e.param = chat ? "messages" : "prompt";
    if (st->chain.size() > 1 && c.failure == FailureKind::Hard) e.message = "every backend failed (" + st->errors + ")";
    return send_error(res, e);
  }
}

namespace {

// Writes one streamed answer as SSE: native pieces are shaped into OpenAI chunks, engine events
// pass through as they come (model id rewritten, "backend" added to the finishing chunks).
class SseWriter final : public CompletionSink {
 public:
  SseWriter(httplib::DataSink& sink, const ResponseContext& rc, const Tokenizer* tok, bool logprobs, EngineKind engine)
      : sink_(sink), rc_(rc), tok_(tok), logprobs_(logprobs), engine_(engine) {}

  bool write(const std::string& payload) {
    const std::string event = "data: " + payload + "\n\n";
    sent_ = true;
    last_write_ = Clock::now();
    return sink_.write(event.data(), event.size());
  }
  bool write(const json& j) { return write(j.dump(-1, ' ', false, json::error_handler_t::replace)); }

  bool on_piece(const StreamPiece& p) override {
    if (!p.upstream_event.empty()) return pass_through(p.upstream_event);
    if (!start()) return false;
    if (ttft_ < 0) ttft_ = std::chrono::duration<double>(Clock::now() - t0_).count();
    if (tools_) {
      for (const json& chunk : tools_->push(p.text)) {
        if (!write(chunk)) return false;
      }
      return true;
    }
    const json lp = logprobs_ ? logprobs_json(*tok_, rc_.chat, p.logprobs, &text_offset_) : json(nullptr);
    return write(delta_chunk(rc_, p.text, lp));
  }
  // Native answers to a request with tools: text becomes tool_calls deltas (see tool_calls.h).
  void enable_tool_calls() { tools_.emplace(rc_); }
  // Writes what the tool-call stream still holds; turns `finish` into "tool_calls" for a call.
  void finish_tool_calls(json& finish) {
    if (!tools_) return;
    for (const json& chunk : tools_->finish(finish)) write(chunk);
  }
  bool on_idle() override {
    if (Clock::now() - last_write_ < kKeepAliveInterval) return sink_.is_writable();
    static constexpr char kComment[] = ": keep-alive\n\n";
    last_write_ = Clock::now();
    return sink_.write(kComment, sizeof kComment - 1);
  }
  // Chat streams open with the role; sent lazily so a backend that fails before its first piece
  // can hand over to the next without the client seeing two openings.
  bool start() {
    if (started_ || !rc_.chat) return true;
    started_ = true;
    return write(chat_role_chunk(rc_));
  }
  bool pass_through(const std::string& data) {
    if (data == "[DONE]") {
      done_ = true;
      return write(data);
    }
    auto j = json::parse(data, nullptr, false);
    if (!j.is_object()) return write(data);
    if (j.contains("model")) j["model"] = rc_.model;
    const bool finishing = (j.contains("choices") && j["choices"].is_array() && !j["choices"].empty() &&
                            j["choices"][0].is_object() && !j["choices"][0].value("finish_reason", json()).is_null()) ||
                           (j.contains("usage") && !j["usage"].is_null());
    if (finishing) j["backend"] = engine_name(engine_);
    return write(j);
  }
  void finish() {
    if (!done_) write(std::string("[DONE]"));
    sink_.done();
  }

  bool sent() const { return sent_; }
  double ttft() const { return ttft_; }
  void set_engine(EngineKind e, const Tokenizer* tok) {
    engine_ = e;
    tok_ = tok;
  }
  void set_t0(Clock::time_point t0) { t0_ = t0; }

 private:
  httplib::DataSink& sink_;
  const ResponseContext& rc_;
  const Tokenizer* tok_;
  bool logprobs_;
  EngineKind engine_;
  std::optional<ToolCallStream> tools_;
  bool started_ = false;
  bool sent_ = false;
  bool done_ = false;
  int64_t text_offset_ = 0;
  double ttft_ = -1.0;
  Clock::time_point t0_ = Clock::now();
  Clock::time_point last_write_ = Clock::now();
};

}  // namespace

void HttpServer::Impl::stream_completion(httplib::Response& res, const std::shared_ptr<StreamState>& st) {
  res.set_header("Cache-Control", "no-cache");
  res.set_header("X-Accel-Buffering", "no");
  // The engine that was loaded when the headers left; the last chunk's "backend" is the one
  // that answered (they differ only after a crash before the first byte).
  res.set_header("X-Minerva-Backend", engine_name(st->chain[st->index]));
  res.set_chunked_content_provider(
      "text/event-stream",
      [this, st](size_t, httplib::DataSink& sink) {
        SseWriter out(sink, st->rc, nullptr, st->r.logprobs >= 0, st->chain[st->index]);
        out.set_t0(st->t0);
        if (st->r.structured.tool_calls) out.enable_tool_calls();
        for (;;) {
          InferenceBackend& b = **st->lease;
          const EngineKind engine = st->chain[st->index];
          const auto* nb = engine == EngineKind::Native ? static_cast<const NativeBackend*>(&b) : nullptr;
          out.set_engine(engine, nb != nullptr ? &nb->tokenizer() : nullptr);
          if (nb != nullptr) {
            if (auto e = prepare_native(*nb, st->r, st->breq.native)) {
              out.write(e->to_json());
              out.finish();
              return true;
            }
          }
          const Completion c = b.generate(st->breq, &out, st->cancel);
          if (c.failure == FailureKind::Cancelled || st->cancel.cancelled()) return false;  // client gone
          if (c.failure == FailureKind::None) {
            if (nb != nullptr) {
              out.start();
              json f = finish_chunk(st->rc, c.finish);
              out.finish_tool_calls(f);
              f["backend"] = "native";
              out.write(f);
              if (st->r.include_usage) {
                json u = usage_chunk(st->rc, c.usage);
                u["backend"] = "native";
                out.write(u);
              }
              const double total = std::chrono::duration<double>(Clock::now() - st->t0).count();
              metrics.on_generation(c.usage, out.ttft(), total);
              t_log_tokens = "tokens=" + std::to_string(c.usage.prompt_tokens) + "+" +
                             std::to_string(c.usage.completion_tokens) + " " +
                             std::to_string(static_cast<int>(total * 1000)) + "ms stream";
            }
            out.finish();
            return true;
          }
          st->errors += std::string(st->errors.empty() ? "" : "; ") + engine_name(engine) + ": " + c.error.message;
          // Switch engines only while the client has seen nothing of this answer.
          if (c.failure == FailureKind::Hard && !out.sent() && st->index + 1 < st->chain.size()) {
            st->lease.reset();
            SelectError last{503, "", FailureKind::Hard};
            bool found = false;
            for (size_t i = st->index + 1; i < st->chain.size() && !found; ++i) {
              auto lease = registry->acquire(*st->model, st->chain[i], st->cancel);
              if (auto* l = std::get_if<ModelRegistry::Lease>(&lease)) {
                st->lease = std::move(*l);
                st->index = i;
                found = true;
              } else {
                last = std::get<SelectError>(lease);
                st->errors += std::string("; ") + engine_name(st->chain[i]) + ": " + last.message;
              }
            }
            if (found) continue;
          }
          ApiError e = engine_error(c.status == 499 ? 500 : c.status, c.error.message);
          if (st->chain.size() > 1 && !out.sent()) e.message = "every backend failed (" + st->errors + ")";
          out.write(e.to_json());
          out.finish();
          return true;
        }
      },
      [st](bool) { st->cancel.cancel(); });  // covers every way the stream can end early
}

HttpServer::HttpServer(ServerOptions opts) : impl_(std::make_unique<Impl>(std::move(opts))) { impl_->setup_routes(); }

HttpServer::~HttpServer() { stop(); }

Result<int> HttpServer::bind() {
  ServerOptions& o = impl_->opts;
  RegistryOptions ro = o.registry;
  ro.native.n_ctx = o.n_ctx;
  ro.native.parallel = o.parallel;
  ro.native.threads = o.threads;
  ro.native.max_queue = o.max_queue;
  ro.native.chat_template = o.chat_template;
  if (ro.commands.n_ctx == 0) ro.commands.n_ctx = o.n_ctx;
  std::vector<ModelConfig> models;
  if (!o.model_path.empty()) {
    ModelConfig m;
    m.id = impl_->model_id;
    m.path = o.model_path;
    models.push_back(std::move(m));
  }
  auto add = [&](std::vector<ModelConfig> more, const std::string& from) -> Status {
    for (auto& m : more) {
      for (const auto& prev : models) {
        if (prev.id == m.id) return make_error(from + ": model id '" + m.id + "' is already taken by " + prev.path);
      }
      models.push_back(std::move(m));
    }
    return Ok{};
  };
  if (!o.config_path.empty()) {
    MINERVA_TRY(auto more, load_models_config(o.config_path, ro));
    MINERVA_CHECK(add(std::move(more), o.config_path));
  }
  if (!o.models_dir.empty()) {
    MINERVA_TRY(auto more, scan_models_dir(o.models_dir));
    MINERVA_CHECK(add(std::move(more), o.models_dir));
  }
  if (models.empty()) return make_error("no models: pass -m FILE, --models-dir DIR or --config FILE");
  impl_->registry = std::make_unique<ModelRegistry>(ro, std::move(models));
  if (!o.model_path.empty()) impl_->eager = impl_->registry->find(impl_->model_id);

  // cpp-httplib listens with a backlog of 5: a burst of new connections (16 clients at once)
  // overflows it and the dropped SYNs are retried a second later. Remember the socket and
  // listen again with a deep backlog (Linux updates it in place).
  auto listen_fd = std::make_shared<int>(-1);
  impl_->http.set_socket_options([listen_fd](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    *listen_fd = sock;
  });
  int port = o.port;
  if (port == 0) {
    port = impl_->http.bind_to_any_port(o.host);
    if (port < 0) return make_error("cannot bind " + o.host + " on any port");
  } else if (!impl_->http.bind_to_port(o.host, port)) {
    return make_error("cannot listen on " + o.host + ":" + std::to_string(port) +
                      " (address in use, or not a local address?)");
  }
  if (*listen_fd >= 0) ::listen(*listen_fd, 1024);
  return port;
}

Status HttpServer::run() {
  Impl& s = *impl_;
  if (s.registry == nullptr) return make_error("HttpServer::run() before bind()");
  Error load_error;
  std::thread loader;
  if (s.eager == nullptr) {
    s.state.store(1);  // models load on demand
  } else {
    loader = std::thread([&] {
      auto plan = s.registry->plan(*s.eager, "auto", false);
      if (auto* e = std::get_if<SelectError>(&plan)) {
        load_error = make_error(e->message);
        s.state.store(2);
        s.http.stop();
        return;
      }
      auto lease = s.registry->acquire(*s.eager, std::get<std::vector<EngineKind>>(plan).front(), CancelToken{});
      if (auto* e = std::get_if<SelectError>(&lease)) {
        load_error = make_error(e->message);
        s.state.store(2);
        s.http.stop();
        return;
      }
      s.state.store(1);
    });
  }
  s.http.listen_after_bind();
  if (loader.joinable()) loader.join();
  s.registry.reset();  // stops engines, cancels what is left
  if (s.state.load() == 2) return load_error;
  return Ok{};
}

void HttpServer::stop() {
  if (impl_) impl_->http.stop();
}

}  // namespace minerva
