#include "server/http_server.h"

#include <httplib.h>

#include <chrono>
#include <cstdio>
#include <random>
#include <thread>

#include "engine/scheduler.h"
#include "server/chat_prompt.h"
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

std::string file_name(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

struct HttpServer::Impl {
  ServerOptions opts;
  httplib::Server http;
  Metrics metrics;
  std::unique_ptr<Scheduler> scheduler;  // set once the model is loaded
  std::optional<ChatFormatter> chat;     // set with the scheduler
  std::atomic<int> state{0};             // 0 loading, 1 ready, 2 failed
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
  std::variant<std::string, ApiError> chat_prompt(const CompletionRequest& r, bool add_generation_prompt) const {
    auto text = chat->render(r.messages, r.tools, add_generation_prompt, r.template_kwargs);
    if (!text) return bad_request("chat template: " + text.error().message, "messages");
    return std::move(text.value());
  }

  void setup_routes();
  void handle_completion(const httplib::Request& req, httplib::Response& res, bool chat);
  void stream_completion(httplib::Response& res, const std::shared_ptr<Job>& job, const CompletionRequest& r,
                         const ResponseContext& rc, Clock::time_point t0);
};

void HttpServer::Impl::setup_routes() {
  http.set_payload_max_length(opts.max_body_bytes);
  // Every streaming request holds a thread for its whole life: size the pool past the slots.
  const int n_http_threads = std::max(8, opts.parallel * 2 + 4);
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
    send_json(res, 200,
              {{"object", "list"},
               {"data", json::array({{{"id", model_id},
                                      {"object", "model"},
                                      {"created", std::chrono::duration_cast<std::chrono::seconds>(
                                                      std::chrono::system_clock::now().time_since_epoch())
                                                      .count()},
                                      {"owned_by", "minerva"},
                                      {"ready", state.load() == 1}}})}});
  };
  http.Get("/v1/models", models);
  http.Get("/models", models);
  auto chat = [this](const httplib::Request& req, httplib::Response& res) { handle_completion(req, res, true); };
  auto completion = [this](const httplib::Request& req, httplib::Response& res) { handle_completion(req, res, false); };
  http.Post("/v1/chat/completions", chat);
  http.Post("/chat/completions", chat);
  http.Post("/v1/completions", completion);
  http.Post("/completions", completion);

  http.Post("/tokenize", [this](const httplib::Request& req, httplib::Response& res) {
    auto body = json_body(req, res);
    if (!body) return;
    if (auto e = require_ready()) return send_error(res, *e);
    auto parsed = parse_tokenize_request(json(*body));
    if (auto* e = std::get_if<ApiError>(&parsed)) return send_error(res, *e);
    send_json(res, 200, tokenize_response(*scheduler->model().tokenizer, std::get<TokenizeRequest>(parsed)));
  });
  http.Post("/detokenize", [this](const httplib::Request& req, httplib::Response& res) {
    auto body = json_body(req, res);
    if (!body) return;
    if (auto e = require_ready()) return send_error(res, *e);
    auto out = detokenize_response(*scheduler->model().tokenizer, json(*body));
    if (auto* e = std::get_if<ApiError>(&out)) return send_error(res, *e);
    send_json(res, 200, std::get<json>(out));
  });
  http.Post("/apply-template", [this](const httplib::Request& req, httplib::Response& res) {
    auto body = json_body(req, res);
    if (!body) return;
    if (auto e = require_ready()) return send_error(res, *e);
    auto parsed = parse_completion_request(*body, true);
    if (auto* e = std::get_if<ApiError>(&parsed)) return send_error(res, *e);
    const CompletionRequest& r = std::get<CompletionRequest>(parsed);
    bool add_generation_prompt = true;
    if (auto it = body->find("add_generation_prompt"); it != body->end() && it->is_boolean()) {
      add_generation_prompt = it->get<bool>();
    }
    auto prompt = chat_prompt(r, add_generation_prompt);
    if (auto* e = std::get_if<ApiError>(&prompt)) return send_error(res, *e);
    send_json(res, 200, {{"prompt", std::get<std::string>(prompt)}});
  });
  http.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    SchedulerStats st = state.load() == 1 ? scheduler->stats() : SchedulerStats{};
    res.set_content(metrics.render(st), "text/plain; version=0.0.4");
  });
}

void HttpServer::Impl::handle_completion(const httplib::Request& req, httplib::Response& res, bool chat) {
  const auto t0 = Clock::now();
  auto body = json_body(req, res);
  if (!body) return;
  auto parsed = parse_completion_request(*body, chat);
  if (auto* e = std::get_if<ApiError>(&parsed)) return send_error(res, *e);
  CompletionRequest r = std::get<CompletionRequest>(std::move(parsed));
  if (r.backend != "auto" && r.backend != "native") {
    ApiError e;
    e.status = 503;
    e.type = "unavailable_error";
    e.param = "backend";
    e.message = "backend '" + r.backend + "' is not available in this server (only the native engine is built in)";
    return send_error(res, e);
  }
  if (auto e = require_ready()) return send_error(res, *e);

  GenerationRequest g;
  const Tokenizer& tok = *scheduler->model().tokenizer;
  if (chat) {
    auto prompt = chat_prompt(r, true);
    if (auto* e = std::get_if<ApiError>(&prompt)) return send_error(res, *e);
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
  Scheduler::SubmitError err;
  std::shared_ptr<Job> job = scheduler->submit(std::move(g), &err);
  if (!job) {
    ApiError e = bad_request(err.error.message, chat ? "messages" : "prompt");
    if (err.queue_full) {
      e.status = 503;
      e.type = "unavailable_error";
      e.param.clear();
    }
    return send_error(res, e);
  }
  ResponseContext rc{new_id(chat ? "chatcmpl-" : "cmpl-"), model_id, unix_time(), chat};
  if (r.stream) return stream_completion(res, job, r, rc, t0);

  std::string text;
  std::vector<TokenLogprob> logprobs;
  for (;;) {
    auto ev = job->next(std::chrono::seconds(1));
    if (!ev) continue;
    text += ev->text;
    logprobs.insert(logprobs.end(), ev->logprobs.begin(), ev->logprobs.end());
    if (!ev->finish) continue;
    if (*ev->finish == FinishReason::Error || *ev->finish == FinishReason::Cancelled) {
      ApiError e;
      e.status = 500;
      e.type = "server_error";
      e.message = ev->error.empty() ? "generation was cancelled" : ev->error;
      return send_error(res, e);
    }
    const double total = std::chrono::duration<double>(Clock::now() - t0).count();
    metrics.on_generation(ev->usage, ev->usage.queue_ms / 1000.0 + ev->usage.prompt_ms / 1000.0, total);
    t_log_tokens = "tokens=" + std::to_string(ev->usage.prompt_tokens) + "+" +
                   std::to_string(ev->usage.completion_tokens) + " " + std::to_string(static_cast<int>(total * 1000)) +
                   "ms";
    int64_t offset = 0;
    const json lp = r.logprobs >= 0 ? logprobs_json(tok, chat, logprobs, &offset) : json(nullptr);
    json out = completion_response(rc, text, *ev->finish, ev->usage, lp);
    if (r.structured.tool_calls) apply_tool_calls(out, text);
    return send_json(res, 200, out);
  }
}

void HttpServer::Impl::stream_completion(httplib::Response& res, const std::shared_ptr<Job>& job,
                                         const CompletionRequest& r, const ResponseContext& rc, Clock::time_point t0) {
  res.set_header("Cache-Control", "no-cache");
  res.set_header("X-Accel-Buffering", "no");
  const bool include_usage = r.include_usage;
  const bool want_logprobs = r.logprobs >= 0;
  const bool tool_calls = r.structured.tool_calls;
  res.set_chunked_content_provider(
      "text/event-stream",
      [this, job, rc, include_usage, want_logprobs, tool_calls, t0](size_t, httplib::DataSink& sink) {
        std::optional<ToolCallStream> tools;
        if (tool_calls) tools.emplace(rc);
        int64_t text_offset = 0;
        const Tokenizer& tok = *scheduler->model().tokenizer;
        auto send = [&](const std::string& payload) {
          const std::string event = "data: " + payload + "\n\n";
          return sink.write(event.data(), event.size());
        };
        if (rc.chat && !send(chat_role_chunk(rc).dump())) {
          job->cancel();
          return false;
        }
        auto last_write = Clock::now();
        double ttft = -1.0;
        for (;;) {
          auto ev = job->next(kPollInterval);
          if (!ev) {
            if (Clock::now() - last_write >= kKeepAliveInterval) {
              static constexpr char kComment[] = ": keep-alive\n\n";
              if (!sink.write(kComment, sizeof kComment - 1)) {
                job->cancel();
                return false;
              }
              last_write = Clock::now();
            }
            continue;
          }
          if (!ev->text.empty() || (want_logprobs && !ev->logprobs.empty())) {
            if (ttft < 0) ttft = std::chrono::duration<double>(Clock::now() - t0).count();
            const json lp = want_logprobs ? logprobs_json(tok, rc.chat, ev->logprobs, &text_offset) : json(nullptr);
            std::vector<json> chunks;
            if (tools) {
              chunks = tools->push(ev->text);
            } else {
              chunks.push_back(delta_chunk(rc, ev->text, lp));
            }
            for (const json& chunk : chunks) {
              if (!send(chunk.dump(-1, ' ', false, json::error_handler_t::replace))) {
                job->cancel();
                return false;
              }
            }
            last_write = Clock::now();
          }
          if (!ev->finish) continue;
          if (*ev->finish == FinishReason::Error || *ev->finish == FinishReason::Cancelled) {
            ApiError e;
            e.status = 500;
            e.type = "server_error";
            e.message = ev->error.empty() ? "generation was cancelled" : ev->error;
            send(e.to_json().dump());
          } else {
            json fin = finish_chunk(rc, *ev->finish);
            if (tools) {
              for (const json& chunk : tools->finish(fin))
                send(chunk.dump(-1, ' ', false, json::error_handler_t::replace));
            }
            send(fin.dump());
            if (include_usage) send(usage_chunk(rc, ev->usage).dump());
            const double total = std::chrono::duration<double>(Clock::now() - t0).count();
            metrics.on_generation(ev->usage, ttft, total);
            t_log_tokens = "tokens=" + std::to_string(ev->usage.prompt_tokens) + "+" +
                           std::to_string(ev->usage.completion_tokens) + " " +
                           std::to_string(static_cast<int>(total * 1000)) + "ms stream";
          }
          static constexpr char kDone[] = "data: [DONE]\n\n";
          sink.write(kDone, sizeof kDone - 1);
          sink.done();
          return true;
        }
      },
      [job](bool) { job->cancel(); });  // covers every way the stream can end early
}

HttpServer::HttpServer(ServerOptions opts) : impl_(std::make_unique<Impl>(std::move(opts))) { impl_->setup_routes(); }

HttpServer::~HttpServer() { stop(); }

Result<int> HttpServer::bind() {
  const ServerOptions& o = impl_->opts;
  int port = o.port;
  if (port == 0) {
    port = impl_->http.bind_to_any_port(o.host);
    if (port < 0) return make_error("cannot bind " + o.host + " on any port");
  } else if (!impl_->http.bind_to_port(o.host, port)) {
    return make_error("cannot listen on " + o.host + ":" + std::to_string(port) +
                      " (address in use, or not a local address?)");
  }
  return port;
}

Status HttpServer::run() {
  Impl& s = *impl_;
  Error load_error;
  std::thread loader([&] {
    auto lm = load_model(s.opts.model_path);
    if (!lm) {
      load_error = lm.error();
      s.state.store(2);
      s.http.stop();
      return;
    }
    SchedulerOptions so;
    so.n_slots = std::max<int32_t>(1, s.opts.parallel);
    so.n_ctx = s.opts.n_ctx > 0 ? s.opts.n_ctx : std::min<int64_t>(lm->model->hparams().n_ctx_train, 4096);
    so.threads = s.opts.threads > 0 ? s.opts.threads : default_thread_count();
    so.max_queue = s.opts.max_queue;
    std::fprintf(stderr, "model %s loaded in %.1f ms: %d slot(s) x %lld tokens of context, %d threads\n",
                 s.model_id.c_str(), lm->load_ms, so.n_slots, static_cast<long long>(so.n_ctx), so.threads);
    auto chat = resolve_chat_template(s.opts.chat_template, *lm->file, lm->tokenizer->vocab());
    if (!chat) {
      load_error = chat.error();
      s.state.store(2);
      s.http.stop();
      return;
    }
    std::fprintf(stderr, "chat template: %s\n", chat->origin().c_str());
    s.chat = std::move(chat.value());
    s.scheduler = std::make_unique<Scheduler>(std::move(lm.value()), so);
    s.state.store(1);
  });
  s.http.listen_after_bind();
  loader.join();
  if (s.state.load() == 2) return load_error;
  s.scheduler.reset();  // cancels what is left
  return Ok{};
}

void HttpServer::stop() {
  if (impl_) impl_->http.stop();
}

}  // namespace minerva
