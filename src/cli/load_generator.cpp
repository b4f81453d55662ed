#include "cli/load_generator.h"

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <nlohmann/json.hpp>
#include <thread>

namespace minerva::cli {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// Ids 100..499: ordinary tokens in every vocabulary we bench (stories260K has 512). A seeded
// generator per request index makes prompts distinct, so no request reuses another's prefix.
std::vector<int> make_prompt(int n, int request_index) {
  std::vector<int> ids;
  ids.reserve(static_cast<size_t>(n));
  uint32_t state = 2166136261u ^ static_cast<uint32_t>(request_index * 7919 + 1);
  for (int i = 0; i < n; ++i) {
    state = state * 1664525u + 1013904223u;
    ids.push_back(100 + static_cast<int>((state >> 8) % 400));
  }
  return ids;
}

std::string request_body(const LoadOptions& o, int request_index) {
  nlohmann::json body = {{"prompt", make_prompt(o.prompt_tokens, o.same_prompt ? 0 : request_index)},
                         {"max_tokens", o.max_tokens},
                         {"temperature", 0},
                         {"ignore_eos", true},
                         {"stream", o.stream}};
  if (o.stream) body["stream_options"] = {{"include_usage", true}};
  if (!o.model.empty()) body["model"] = o.model;
  return body.dump();
}

// Consumes SSE bytes as they arrive; records the first and last token events and the usage.
struct SseTimer {
  Clock::time_point t0;
  RequestTiming* out;
  std::string pending;
  int64_t events = 0;

  void feed(const char* data, size_t n) {
    pending.append(data, n);
    size_t end;
    while ((end = pending.find("\n\n")) != std::string::npos) {
      std::string event = pending.substr(0, end);
      pending.erase(0, end + 2);
      if (event.rfind("data: ", 0) != 0) continue;
      std::string payload = event.substr(6);
      if (payload == "[DONE]") continue;
      auto j = nlohmann::json::parse(payload, nullptr, false);
      if (j.is_discarded()) continue;
      if (j.contains("choices") && j["choices"].is_array() && !j["choices"].empty()) {
        const double t = seconds_since(t0);
        if (events == 0) out->ttft = t;
        out->last_token = t;
        ++events;
      }
      if (j.contains("usage") && j["usage"].is_object())
        out->tokens = j["usage"].value("completion_tokens", int64_t{0});
    }
  }
};

RequestTiming one_request(httplib::Client& client, const LoadOptions& o, int request_index) {
  RequestTiming r;
  httplib::Request req;
  req.method = "POST";
  req.path = "/v1/completions";
  req.body = request_body(o, request_index);
  req.headers = {{"Content-Type", "application/json"}};
  if (!o.api_key.empty()) req.headers.emplace("Authorization", "Bearer " + o.api_key);
  const auto t0 = Clock::now();
  SseTimer sse{t0, &r, {}, 0};
  std::string whole;
  req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
    if (o.stream) {
      sse.feed(data, n);
    } else {
      whole.append(data, n);
    }
    return true;
  };
  httplib::Response res;
  httplib::Error err = httplib::Error::Success;
  const bool sent = client.send(req, res, err);
  r.latency = seconds_since(t0);
  if (!sent) {
    r.error = "transport error: " + httplib::to_string(err);
    return r;
  }
  if (res.status != 200) {
    r.error = "HTTP " + std::to_string(res.status) + ": " + (whole.empty() ? sse.pending : whole).substr(0, 200);
    return r;
  }
  if (!o.stream) {
    r.ttft = r.last_token = r.latency;
    auto j = nlohmann::json::parse(whole, nullptr, false);
    if (!j.is_discarded() && j.contains("usage")) r.tokens = j["usage"].value("completion_tokens", int64_t{0});
  } else if (r.tokens == 0) {
    r.tokens = sse.events;
  }
  r.ok = true;
  return r;
}

}  // namespace

int64_t LoadResult::failed() const {
  return std::count_if(requests.begin(), requests.end(), [](const RequestTiming& r) { return !r.ok; });
}

int64_t LoadResult::total_tokens() const {
  int64_t n = 0;
  for (const auto& r : requests) n += r.ok ? r.tokens : 0;
  return n;
}

double LoadResult::aggregate_tps() const { return wall_s > 0 ? static_cast<double>(total_tokens()) / wall_s : 0; }

double LoadResult::mean_stream_tps() const {
  double sum = 0;
  int n = 0;
  for (const auto& r : requests) {
    if (!r.ok || r.tokens < 2 || r.last_token <= r.ttft) continue;
    sum += static_cast<double>(r.tokens - 1) / (r.last_token - r.ttft);
    ++n;
  }
  return n > 0 ? sum / n : 0;
}

Result<std::pair<std::string, int>> parse_server_url(const std::string& url) {
  std::string rest = url;
  if (rest.rfind("http://", 0) == 0) rest = rest.substr(7);
  if (rest.rfind("https://", 0) == 0)
    return make_error("server URL '" + url + "': https is not supported; use http://");
  while (!rest.empty() && rest.back() == '/') rest.pop_back();
  if (rest.find('/') != std::string::npos) return make_error("server URL '" + url + "': give only http://host:port");
  const size_t colon = rest.rfind(':');
  std::string host = colon == std::string::npos ? rest : rest.substr(0, colon);
  int port = 80;
  if (colon != std::string::npos) {
    const std::string p = rest.substr(colon + 1);
    char* end = nullptr;
    const long v = std::strtol(p.c_str(), &end, 10);
    if (p.empty() || *end != '\0' || v < 1 || v > 65535)
      return make_error("server URL '" + url + "': bad port '" + p + "'");
    port = static_cast<int>(v);
  }
  if (host.empty()) return make_error("server URL '" + url + "': no host");
  return std::pair<std::string, int>{host, port};
}

double percentile(std::vector<double> values, double q) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const double rank = std::ceil(q * static_cast<double>(values.size()));
  const size_t i = rank < 1 ? 0 : static_cast<size_t>(rank) - 1;
  return values[std::min(i, values.size() - 1)];
}

LoadResult run_load(const LoadOptions& o) {
  LoadResult result;
  result.requests.resize(static_cast<size_t>(std::max(o.requests, 0)));
  std::atomic<int> next{0};
  const auto t0 = Clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < std::max(o.clients, 1); ++c) {
    threads.emplace_back([&] {
      httplib::Client client(o.host, o.port);
      const auto timeout = std::chrono::duration<double>(o.timeout_s);
      client.set_read_timeout(std::chrono::duration_cast<std::chrono::microseconds>(timeout));
      client.set_write_timeout(std::chrono::duration_cast<std::chrono::microseconds>(timeout));
      for (int i = next++; i < o.requests; i = next++) {
        result.requests[static_cast<size_t>(i)] = one_request(client, o, i);
      }
    });
  }
  for (auto& t : threads) t.join();
  result.wall_s = seconds_since(t0);
  return result;
}

}  // namespace minerva::cli
