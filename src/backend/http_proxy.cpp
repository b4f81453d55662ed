#include "backend/http_proxy.h"

#include <httplib.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace minerva {

namespace {

constexpr size_t kMaxUpstreamBody = 64u << 20;  // a non-streamed answer larger than this is an error
constexpr auto kPollInterval = std::chrono::milliseconds(100);

// Splits complete SSE events off `pending`; returns each event's data (data lines joined).
void take_sse_events(std::string& pending, std::deque<std::string>& out) {
  for (;;) {
    size_t end = pending.find("\n\n");
    const size_t crlf = pending.find("\r\n\r\n");
    size_t sep = 2;
    if (crlf != std::string::npos && (end == std::string::npos || crlf < end)) {
      end = crlf;
      sep = 4;
    }
    if (end == std::string::npos) return;
    const std::string ev = pending.substr(0, end);
    pending.erase(0, end + sep);
    std::string data;
    bool has_data = false;
    size_t pos = 0;
    while (pos <= ev.size()) {
      size_t eol = ev.find('\n', pos);
      if (eol == std::string::npos) eol = ev.size();
      std::string line = ev.substr(pos, eol - pos);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.rfind("data:", 0) == 0) {
        std::string v = line.substr(5);
        if (!v.empty() && v[0] == ' ') v.erase(0, 1);
        if (has_data) data += '\n';
        data += v;
        has_data = true;
      }
      pos = eol + 1;
    }
    if (has_data) out.push_back(std::move(data));  // comments (": keep-alive") are dropped
  }
}

}  // namespace

Result<UpstreamTarget> parse_upstream_url(const std::string& url) {
  const std::string scheme = "http://";
  if (url.rfind("https://", 0) == 0) {
    return make_error("upstream '" + url + "': https is not supported (Minerva is built without TLS); use http://");
  }
  if (url.rfind(scheme, 0) != 0) return make_error("upstream '" + url + "': expected http://host:port[/path]");
  const std::string rest = url.substr(scheme.size());
  const size_t slash = rest.find('/');
  const std::string hostport = rest.substr(0, slash);
  UpstreamTarget t;
  t.base_path = slash == std::string::npos ? "" : rest.substr(slash);
  while (!t.base_path.empty() && t.base_path.back() == '/') t.base_path.pop_back();
  const size_t colon = hostport.rfind(':');
  t.host = hostport.substr(0, colon);
  t.port = 80;
  if (colon != std::string::npos) {
    const std::string p = hostport.substr(colon + 1);
    char* end = nullptr;
    const long v = std::strtol(p.c_str(), &end, 10);
    if (p.empty() || *end != '\0' || v <= 0 || v > 65535)
      return make_error("upstream '" + url + "': bad port '" + p + "'");
    t.port = static_cast<int>(v);
  }
  if (t.host.empty()) return make_error("upstream '" + url + "': no host");
  t.label = "openai upstream " + url;
  return t;
}

std::string upstream_error_message(const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_object()) {
    auto e = j.find("error");
    if (e != j.end() && e->is_object() && e->contains("message") && (*e)["message"].is_string()) {
      return (*e)["message"].get<std::string>();
    }
    if (e != j.end() && e->is_string()) return e->get<std::string>();
    if (j.contains("detail") && j["detail"].is_string()) return j["detail"].get<std::string>();
  }
  std::string s = body.substr(0, 500);
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s.empty() ? "(empty body)" : s;
}

int probe_upstream(const UpstreamTarget& target, const std::string& path, std::chrono::milliseconds timeout) {
  httplib::Client cli(target.host, target.port);
  cli.set_connection_timeout(timeout);
  cli.set_read_timeout(timeout);
  httplib::Headers h;
  if (!target.api_key.empty()) h.emplace("Authorization", "Bearer " + target.api_key);
  auto res = cli.Get(path, h);
  return res ? res->status : 0;
}

Result<nlohmann::json> post_json(const UpstreamTarget& target, const std::string& path, const nlohmann::json& body) {
  httplib::Client cli(target.host, target.port);
  cli.set_connection_timeout(std::chrono::seconds(2));
  cli.set_read_timeout(std::chrono::seconds(60));
  httplib::Headers h;
  if (!target.api_key.empty()) h.emplace("Authorization", "Bearer " + target.api_key);
  auto res = cli.Post(path, h, body.dump(), "application/json");
  if (!res) return make_error(target.label + ": " + httplib::to_string(res.error()));
  if (res->status != 200) {
    return make_error(target.label + ": HTTP " + std::to_string(res->status) + ": " +
                      upstream_error_message(res->body));
  }
  auto j = nlohmann::json::parse(res->body, nullptr, false);
  if (j.is_discarded()) return make_error(target.label + ": the answer is not JSON");
  return j;
}

Completion proxy_completion(const UpstreamTarget& target, const BackendRequest& req, CompletionSink* sink,
                            const CancelToken& cancel) {
  Completion c;
  httplib::Client cli(target.host, target.port);
  cli.set_connection_timeout(std::chrono::seconds(2));
  cli.set_read_timeout(target.read_timeout);
  cli.set_write_timeout(std::chrono::seconds(30));

  httplib::Request hreq;
  hreq.method = "POST";
  hreq.path = target.base_path + (req.chat ? "/chat/completions" : "/completions");
  hreq.headers.emplace("Content-Type", "application/json");
  if (req.stream) hreq.headers.emplace("Accept", "text/event-stream");
  if (!target.api_key.empty()) hreq.headers.emplace("Authorization", "Bearer " + target.api_key);
  hreq.body = req.body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);

  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::string> events;
  std::string pending;
  std::string whole;  // non-streamed answers and error bodies
  int status = 0;
  bool finished = false;
  bool ok = false;
  bool too_large = false;
  httplib::Error err = httplib::Error::Success;
  const bool streaming = req.stream && sink != nullptr;

  hreq.response_handler = [&](const httplib::Response& r) {
    std::lock_guard<std::mutex> lock(mu);
    status = r.status;
    return !cancel.cancelled();
  };
  hreq.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
    if (cancel.cancelled()) return false;
    std::lock_guard<std::mutex> lock(mu);
    if (!streaming || status != 200) {
      if (whole.size() + n > kMaxUpstreamBody) {
        too_large = true;
        return false;
      }
      whole.append(data, n);
      return true;
    }
    pending.append(data, n);
    const size_t before = events.size();
    take_sse_events(pending, events);
    if (events.size() != before) cv.notify_all();
    return true;
  };
  std::thread worker([&] {
    httplib::Response res;
    httplib::Error e = httplib::Error::Success;
    const bool sent = cli.send(hreq, res, e);
    std::lock_guard<std::mutex> lock(mu);
    ok = sent;
    err = e;
    if (status == 0 && sent) status = res.status;
    finished = true;
    cv.notify_all();
  });

  bool stopped = false;
  bool done_event = false;
  auto stop_upstream = [&] {
    if (!stopped) {
      stopped = true;
      cancel.cancel();
      cli.stop();  // closes the socket: the engine sees the disconnect and cancels
    }
  };
  for (;;) {
    std::deque<std::string> batch;
    bool fin = false;
    {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait_for(lock, kPollInterval, [&] { return !events.empty() || finished; });
      batch.swap(events);
      fin = finished;
    }
    for (auto& ev : batch) {
      if (stopped) break;
      if (ev == "[DONE]") done_event = true;
      StreamPiece p;
      p.upstream_event = std::move(ev);
      c.sent_bytes = true;
      if (!sink->on_piece(p)) stop_upstream();
    }
    if (fin && batch.empty()) break;
    if (cancel.cancelled()) stop_upstream();
    if (batch.empty() && sink != nullptr && !stopped && !sink->on_idle()) stop_upstream();
  }
  worker.join();

  if (cancel.cancelled()) {
    c.failure = FailureKind::Cancelled;
    c.status = 499;
    c.error = make_error(target.label + ": cancelled");
    return c;
  }
  if (too_large) {
    c.failure = FailureKind::Hard;
    c.status = 502;
    c.error =
        make_error(target.label + ": the answer is larger than " + std::to_string(kMaxUpstreamBody >> 20) + " MiB");
    return c;
  }
  if (status == 0) {
    c.failure = FailureKind::Hard;
    c.status = 502;
    c.error = make_error(target.label + " failed before answering: " + httplib::to_string(err));
    c.not_connected = err == httplib::Error::Connection;
    return c;
  }
  if (status != 200) {
    const std::string msg = upstream_error_message(whole);
    c.failure = status >= 400 && status < 500 ? FailureKind::Client : FailureKind::Hard;
    c.status = c.failure == FailureKind::Client ? status : 502;
    c.error = make_error(target.label + " answered HTTP " + std::to_string(status) + ": " + msg);
    return c;
  }
  if (streaming) {
    if (!ok || !done_event) {
      c.failure = FailureKind::Hard;
      c.status = 502;
      c.error = make_error(target.label + ": the stream ended before [DONE] (" +
                           (ok ? std::string("connection closed") : httplib::to_string(err)) + ")");
    }
    return c;
  }
  if (!ok) {
    c.failure = FailureKind::Hard;
    c.status = 502;
    c.error = make_error(target.label + ": the answer was cut off: " + httplib::to_string(err));
    return c;
  }
  c.upstream_body = nlohmann::json::parse(whole, nullptr, false);
  if (!c.upstream_body.is_object()) {
    c.failure = FailureKind::Hard;
    c.status = 502;
    c.error = make_error(target.label + ": the answer is not a JSON object: " + whole.substr(0, 200));
  }
  return c;
}

}  // namespace minerva
