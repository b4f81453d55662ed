// End to end for backends: a real front `minerva serve` that starts real engine processes. The
// llama_cpp and mlx engines are the `minerva` binary itself (it accepts llama-server's and
// mlx_lm.server's command lines); misbehaving engines are small shell / Python scripts.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "crafted_models.h"
#include "server_fixture.h"
#include "subprocess.h"

namespace minerva {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using testing::HttpClient;
using testing::ServerProcess;
using testing::SseEvent;
using Clock = std::chrono::steady_clock;

const std::string kStories = testing::shared_path("models/stories260K.gguf");

// A scratch directory of models (symlinks into ../shared) and engine scripts; removed at the end.
class Scratch {
 public:
  Scratch() {
    std::string tmpl = ::testing::TempDir() + "minerva_backend_XXXXXX";
    dir_ = ::mkdtemp(tmpl.data());
  }
  ~Scratch() { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return dir_ + "/" + name; }
  std::string link(const std::string& target, const std::string& name) const {
    fs::create_symlink(target, path(name));
    return path(name);
  }
  std::string write(const std::string& name, const std::string& text, bool exec = false) const {
    fs::create_directories(fs::path(path(name)).parent_path());
    std::ofstream(path(name)) << text;
    if (exec) ::chmod(path(name).c_str(), 0755);
    return path(name);
  }
  // A llama-server stand-in for models the native engine cannot run: minerva serving stories.
  std::string stories_engine() const {
    return write("stories-engine.sh",
                 "#!/bin/sh\nwhile [ $# -gt 0 ]; do case \"$1\" in -m|--model) shift 2;; *) break;; esac; done\n"
                 "exec " +
                     testing::minerva_binary() + " -m " + kStories + " \"$@\"\n",
                 true);
  }

 private:
  std::string dir_;
};

json post(HttpClient& http, const std::string& path, const json& body, testing::HttpResponse* out = nullptr) {
  auto r = http.request("POST", path, body.dump());
  if (out) *out = r;
  auto j = json::parse(r.body, nullptr, false);
  return j;
}

json model_entry(HttpClient& http, const std::string& id) {
  json list = json::parse(http.request("GET", "/v1/models").body);
  for (const auto& m : list["data"]) {
    if (m["id"] == id) return m;
  }
  return json();
}

bool pid_alive(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) return false;
  const size_t paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] != 'Z';
}

bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return pred();
}

std::string stream_text(const std::vector<SseEvent>& events) {
  std::string text;
  for (const auto& ev : events) {
    auto j = json::parse(ev.data, nullptr, false);
    if (!j.is_object() || !j.contains("choices") || j["choices"].empty()) continue;
    const json& c = j["choices"][0];
    if (c.contains("text")) text += c["text"].get<std::string>();
    if (c.contains("delta") && c["delta"].contains("content")) text += c["delta"]["content"].get<std::string>();
  }
  return text;
}

// The last JSON chunk of a stream (before [DONE]).
json last_chunk(const std::vector<SseEvent>& events) {
  for (auto it = events.rbegin(); it != events.rend(); ++it) {
    if (it->data != "[DONE]") return json::parse(it->data, nullptr, false);
  }
  return json();
}

TEST(BackendCli, ModelsCommandReportsFormatsAndBackends) {
  Scratch s;
  s.link(kStories, "stories.gguf");
  s.link(testing::unsupported_arch_model(), "qwen.gguf");
  s.write("old.bin", "lmgg\x01\x00\x00\x00");
  s.write("notes.txt", "hello world");
  s.write("hf/config.json", R"({"model_type": "llama"})");
  s.write("hf/model.safetensors", "");
  s.write("mlx/config.json", R"({"model_type": "qwen2", "quantization": {"group_size": 64, "bits": 4}})");
  s.write("mlx/model.safetensors", "");
  auto r = testing::run_minerva({"models", s.path(""), "--llama-server", "/nonexistent/llama-server"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto line = [&](const std::string& id) {
    const size_t at = r.out.find("\n" + id + " ");
    return at == std::string::npos ? std::string() : r.out.substr(at + 1, r.out.find('\n', at + 1) - at - 1);
  };
  EXPECT_NE(line("stories").find("native"), std::string::npos) << r.out;
  EXPECT_NE(line("qwen").find("llama_cpp"), std::string::npos) << r.out;
  EXPECT_NE(line("qwen").find("architecture 'mamba' is not supported"), std::string::npos) << r.out;
  EXPECT_NE(line("qwen").find("llama-server not found"), std::string::npos) << r.out;
  EXPECT_NE(line("old.bin").find("legacy GGML file"), std::string::npos) << r.out;
  EXPECT_NE(line("notes.txt").find("not a model file"), std::string::npos) << r.out;
  EXPECT_NE(line("hf").find(" hf "), std::string::npos) << r.out;
  EXPECT_NE(line("mlx").find(" mlx "), std::string::npos) << r.out;
}

// The same greedy request answered by the native engine and by a llama_cpp engine process.
TEST(Backend, LlamaCppProxyMatchesNativeAndSaysWhoAnswered) {
  Scratch s;
  s.link(kStories, "stories.gguf");
  ServerProcess server({"--models-dir", s.path(""), "--llama-server", testing::minerva_binary(), "-t", "1"});
  ASSERT_GT(server.port(), 0) << server.log();
  HttpClient http(server.port());
  json body = {{"model", "stories"}, {"prompt", "Once upon a time"}, {"max_tokens", 24}, {"temperature", 0}};
  testing::HttpResponse rn, rl;
  body["backend"] = "native";
  json native = post(http, "/v1/completions", body, &rn);
  body["backend"] = "llama_cpp";
  json proxied = post(http, "/v1/completions", body, &rl);
  ASSERT_EQ(rl.status, 200) << rl.body << server.log();
  EXPECT_EQ(rn.headers["x-minerva-backend"], "native");
  EXPECT_EQ(rl.headers["x-minerva-backend"], "llama_cpp");
  EXPECT_EQ(native["backend"], "native");
  EXPECT_EQ(proxied["backend"], "llama_cpp");
  EXPECT_EQ(proxied["model"], "stories");
  EXPECT_EQ(proxied["choices"][0]["text"], native["choices"][0]["text"]);

  // Chat, streamed through the engine: its events, then "backend" in the last chunk.
  json chat = {{"model", "stories"},
               {"messages", {{{"role", "user"}, {"content", "Hi"}}}},
               {"max_tokens", 6},
               {"stream", true},
               {"backend", "llama_cpp"}};
  std::vector<SseEvent> events;
  auto r = http.stream("/v1/chat/completions", chat.dump(), events);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.headers["x-minerva-backend"], "llama_cpp");
  ASSERT_GE(events.size(), 3u);
  EXPECT_EQ(events.back().data, "[DONE]");
  EXPECT_EQ(last_chunk(events)["backend"], "llama_cpp");
  EXPECT_EQ(json::parse(events[0].data)["choices"][0]["delta"]["role"], "assistant");

  json m = model_entry(http, "stories");
  EXPECT_EQ(m["state"], "loaded");
  EXPECT_EQ(m["engines"]["llama_cpp"]["state"], "loaded");
  EXPECT_EQ(m["engines"]["native"]["state"], "loaded");
}

// SSE events pass through the proxy as the engine produces them, not at the end.
TEST(Backend, ProxiedStreamArrivesIncrementally) {
  Scratch s;
  s.link(kStories, "stories.gguf");
  ServerProcess server({"--models-dir", s.path(""), "--llama-server", testing::minerva_binary(), "-t", "1"});
  HttpClient http(server.port());
  json body = {{"model", "stories"}, {"prompt", "Once upon a time"}, {"max_tokens", 1500}, {"temperature", 1.0},
               {"seed", 5},          {"logit_bias", {{"2", -100}}},  {"stream", true},     {"backend", "llama_cpp"}};
  std::vector<SseEvent> events;
  const auto start = Clock::now();
  http.stream("/v1/completions", body.dump(), events);
  ASSERT_GT(events.size(), 1000u) << server.log();
  const double total = std::chrono::duration<double>(events.back().at - start).count();
  const double spread = std::chrono::duration<double>(events[events.size() - 3].at - events[0].at).count();
  EXPECT_GT(spread, 0.4 * total) << "first event after " << (total - spread) << " s of " << total << " s";
}

// Dropping the client connection closes the upstream request: the engine's slot frees and
// its token counter stops.
TEST(Backend, ClientDisconnectCancelsTheEngineRequest) {
  Scratch s;
  s.link(kStories, "stories.gguf");
  ServerProcess server({"--models-dir", s.path(""), "--llama-server", testing::minerva_binary(), "-t", "1"});
  HttpClient http(server.port());
  json load = post(http, "/models/load", {{"model", "stories"}, {"backend", "llama_cpp"}});
  ASSERT_EQ(load["backend"], "llama_cpp") << load.dump();
  const int child_port = model_entry(http, "stories")["engines"]["llama_cpp"]["port"];
  HttpClient child(child_port);
  auto metric = [&](const std::string& name) {
    const std::string body = child.request("GET", "/metrics").body;
    const size_t at = body.find("\n" + name + " ");
    return at == std::string::npos ? int64_t{-1} : std::stoll(body.substr(at + name.size() + 2));
  };
  json body = {{"model", "stories"},    {"prompt", "Once upon a time"}, {"max_tokens", 20000},
               {"temperature", 1.0},    {"logit_bias", {{"2", -100}}},  {"stream", true},
               {"backend", "llama_cpp"}};
  std::vector<SseEvent> events;
  http.stream("/v1/completions", body.dump(), events, [](const SseEvent&) { return false; });
  EXPECT_TRUE(wait_until([&] { return metric("minerva_slots_busy") == 0; }, std::chrono::seconds(5)));
  const int64_t after = metric("minerva_generated_tokens_total");
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(metric("minerva_generated_tokens_total"), after);
  EXPECT_LT(after, 20000);
}

// An engine killed mid-stream: the client gets an error event naming the engine (no switch
// to another backend after bytes were sent); the engine is restarted for the next request.
TEST(Backend, EngineKilledMidStreamIsReportedAndRestarted) {
  Scratch s;
  s.write("models.json",
          json({{"models", {{{"id", "tiny"}, {"path", kStories}, {"fallback", {"llama_cpp", "native"}}}}}}).dump());
  ServerProcess server({"--config", s.path("models.json"), "--llama-server", testing::minerva_binary(),
                        "--engine-backoff", "0.05", "-t", "1"});
  HttpClient http(server.port());
  ASSERT_EQ(post(http, "/models/load", {{"model", "tiny"}, {"backend", "llama_cpp"}})["state"], "loaded");
  const pid_t pid = model_entry(http, "tiny")["engines"]["llama_cpp"]["pid"];
  json body = {{"model", "tiny"},      {"prompt", "Once upon a time"}, {"max_tokens", 20000},
               {"temperature", 1.0},   {"logit_bias", {{"2", -100}}},  {"stream", true},
               {"backend", "fallback"}};
  std::vector<SseEvent> events;
  http.stream("/v1/completions", body.dump(), events, [&](const SseEvent&) {
    if (events.size() == 5) ::kill(pid, SIGKILL);
    return true;
  });
  ASSERT_GE(events.size(), 6u);
  json err = last_chunk(events);
  ASSERT_TRUE(err.contains("error")) << events.back().data;
  const std::string msg = err["error"]["message"];
  EXPECT_NE(msg.find("llama_cpp engine"), std::string::npos) << msg;
  EXPECT_NE(msg.find("signal 9"), std::string::npos) << msg;
  for (const auto& ev : events) EXPECT_EQ(ev.data.find("\"backend\":\"native\""), std::string::npos);

  json again = post(http, "/v1/completions",
                    {{"model", "tiny"}, {"prompt", "Once"}, {"max_tokens", 4}, {"backend", "llama_cpp"}});
  EXPECT_EQ(again["backend"], "llama_cpp") << again.dump();
  json m = model_entry(http, "tiny")["engines"]["llama_cpp"];
  EXPECT_EQ(m["starts"], 2);
  EXPECT_NE(m["pid"], pid);
}

// An engine that never answers /health: the load times out, it is killed, the model is failed.
TEST(Backend, EngineThatNeverBecomesReadyFails) {
  Scratch s;
  s.link(kStories, "stories.gguf");
  const std::string engine =
      s.write("hang.sh", "#!/bin/sh\necho \"hanging with $*\"\necho $$ > " + s.path("pid") + "\nexec sleep 60\n", true);
  ServerProcess server({"--models-dir", s.path(""), "--llama-server", engine, "--engine-load-timeout", "0.5",
                        "--engine-restarts", "0", "--engine-stop-grace", "0.2"});
  HttpClient http(server.port());
  testing::HttpResponse r;
  json j = post(http, "/v1/completions", {{"model", "stories"}, {"prompt", "x"}, {"backend", "llama_cpp"}}, &r);
  EXPECT_EQ(r.status, 503) << r.body;
  const std::string msg = j["error"]["message"];
  EXPECT_NE(msg.find("did not become ready within 500 ms"), std::string::npos) << msg;
  EXPECT_NE(msg.find("hanging with -m"), std::string::npos) << msg;  // the engine's own log, quoted
  json m = model_entry(http, "stories");
  EXPECT_EQ(m["engines"]["llama_cpp"]["state"], "failed");
  std::ifstream in(s.path("pid"));
  pid_t pid = 0;
  in >> pid;
  ASSERT_GT(pid, 0);
  EXPECT_TRUE(wait_until([&] { return !pid_alive(pid); }, std::chrono::seconds(2)));
}

// An engine that exits non-zero at once is restarted with doubling delays, then given up on,
// with its last log lines in the error.
TEST(Backend, CrashingEngineBacksOffThenFails) {
  Scratch s;
  s.link(kStories, "stories.gguf");
  const std::string starts = s.path("starts");
  const std::string engine =
      s.write("crash.sh",
              "#!/bin/sh\ndate +%s.%N >> " + starts + "\necho 'error: cannot open model: boom' >&2\nexit 3\n", true);
  ServerProcess server(
      {"--models-dir", s.path(""), "--llama-server", engine, "--engine-restarts", "3", "--engine-backoff", "0.2"});
  HttpClient http(server.port());
  testing::HttpResponse r;
  json j = post(http, "/v1/completions", {{"model", "stories"}, {"prompt", "x"}, {"backend", "llama_cpp"}}, &r);
  EXPECT_EQ(r.status, 503) << r.body;
  const std::string msg = j["error"]["message"];
  EXPECT_NE(msg.find("exited with status 3 before becoming ready"), std::string::npos) << msg;
  EXPECT_NE(msg.find("gave up after 4 attempts"), std::string::npos) << msg;
  EXPECT_NE(msg.find("cannot open model: boom"), std::string::npos) << msg;
  std::ifstream in(starts);
  std::vector<double> t;
  for (double v; in >> v;) t.push_back(v);
  ASSERT_EQ(t.size(), 4u);
  // Each wait at least the doubled backoff (0.2, 0.4, 0.8 s). Compared with the waits before, as
  // it once was, a loaded machine's slow start of one attempt failed the test.
  const double d1 = t[1] - t[0], d2 = t[2] - t[1], d3 = t[3] - t[2];
  EXPECT_GE(d1, 0.19) << d1 << " " << d2 << " " << d3;
  EXPECT_GE(d2, 0.39) << d1 << " " << d2 << " " << d3;
  EXPECT_GE(d3, 0.79) << d1 << " " << d2 << " " << d3;
  EXPECT_EQ(model_entry(http, "stories")["state"], "failed");
}

// Unused engines are unloaded after the idle TTL (the engine process is stopped).
TEST(Backend, IdleTtlUnloads) {
  Scratch s;
  s.link(kStories, "stories.gguf");
  ServerProcess server(
      {"--models-dir", s.path(""), "--llama-server", testing::minerva_binary(), "--idle-ttl", "0.4", "-t", "1"});
  HttpClient http(server.port());
  json j = post(http, "/v1/completions",
                {{"model", "stories"}, {"prompt", "x"}, {"max_tokens", 2}, {"backend", "llama_cpp"}});
  ASSERT_EQ(j["backend"], "llama_cpp");
  const pid_t pid = model_entry(http, "stories")["engines"]["llama_cpp"]["pid"];
  EXPECT_EQ(model_entry(http, "stories")["state"], "loaded");
  EXPECT_TRUE(wait_until([&] { return model_entry(http, "stories")["state"] == "unloaded"; }, std::chrono::seconds(3)));
  EXPECT_TRUE(wait_until([&] { return !pid_alive(pid); }, std::chrono::seconds(2)));
  // And it loads again on demand.
  j = post(http, "/v1/completions", {{"model", "stories"}, {"prompt", "x"}, {"max_tokens", 2}});
  EXPECT_EQ(j["backend"], "native");
}

// --max-loaded 1: loading a second model unloads the least recently used one.
TEST(Backend, MaxLoadedEvictsLeastRecentlyUsed) {
  Scratch s;
  s.link(kStories, "a.gguf");
  s.link(kStories, "b.gguf");
  s.link(kStories, "c.gguf");
  ServerProcess server({"--models-dir", s.path(""), "--max-loaded", "2", "-t", "1"});
  HttpClient http(server.port());
  json list = json::parse(http.request("GET", "/v1/models").body);
  ASSERT_EQ(list["data"].size(), 3u);
  for (const auto& m : list["data"]) {
    EXPECT_EQ(m["state"], "unloaded");
    EXPECT_EQ(m["format"], "gguf");
    EXPECT_EQ(m["backend"], "native");
  }
  for (const char* id : {"a", "b", "a", "c"}) {
    json j = post(http, "/v1/completions", {{"model", id}, {"prompt", "x"}, {"max_tokens", 1}});
    ASSERT_EQ(j["model"], id) << j.dump();
  }
  EXPECT_EQ(model_entry(http, "a")["state"], "loaded");
  EXPECT_EQ(model_entry(http, "b")["state"], "unloaded");  // least recently used
  EXPECT_EQ(model_entry(http, "c")["state"], "loaded");
  testing::HttpResponse r;
  post(http, "/v1/completions", {{"model", "nope"}, {"prompt", "x"}}, &r);
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body.find("available: a, b, c"), std::string::npos) << r.body;
  // Explicit load / unload.
  EXPECT_EQ(post(http, "/models/unload", {{"model", "a"}})["state"], "unloaded");
  EXPECT_EQ(model_entry(http, "a")["state"], "unloaded");
  EXPECT_EQ(post(http, "/models/load", {{"model", "b"}})["state"], "loaded");
  EXPECT_EQ(model_entry(http, "b")["state"], "loaded");
}

// Fallback: each branch of the chain native -> llama_cpp.
TEST(Backend, FallbackChain) {
  Scratch s;
  s.link(kStories, "stories.gguf");
  s.link(testing::unsupported_arch_model(), "qwen.gguf");
  {
    // Native cannot run the mamba-labelled file: fallback and auto move on to llama_cpp.
    ServerProcess server({"--models-dir", s.path(""), "--llama-server", s.stories_engine(), "-t", "1", "-c", "64"});
    HttpClient http(server.port());
    for (const char* backend : {"fallback", "auto"}) {
      testing::HttpResponse r;
      json j = post(http, "/v1/completions",
                    {{"model", "qwen"}, {"prompt", "Once"}, {"max_tokens", 4}, {"backend", backend}}, &r);
      EXPECT_EQ(r.status, 200) << r.body;
      EXPECT_EQ(j["backend"], "llama_cpp") << backend;
    }
    // Native can: fallback stays on native.
    json j = post(http, "/v1/completions",
                  {{"model", "stories"}, {"prompt", "Once"}, {"max_tokens", 4}, {"backend", "fallback"}});
    EXPECT_EQ(j["backend"], "native");
    // A client error (prompt longer than the context) is not a reason to switch.
    std::string long_prompt;
    for (int i = 0; i < 100; ++i) long_prompt += "Once upon a time ";
    testing::HttpResponse r;
    j = post(http, "/v1/completions", {{"model", "stories"}, {"prompt", long_prompt}, {"backend", "fallback"}}, &r);
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_FALSE(model_entry(http, "stories").value("engines", json::object()).contains("llama_cpp"));
    // Explicit native on an unsupported architecture: the native error, no switching.
    j = post(http, "/v1/completions", {{"model", "qwen"}, {"prompt", "x"}, {"backend", "native"}}, &r);
    EXPECT_EQ(r.status, 501) << r.body;
    EXPECT_NE(r.body.find("architecture 'mamba' is not supported"), std::string::npos) << r.body;
    // Unknown backend -> 400; mlx on a GGUF -> 400.
    post(http, "/v1/completions", {{"model", "qwen"}, {"prompt", "x"}, {"backend", "vllm"}}, &r);
    EXPECT_EQ(r.status, 400);
    post(http, "/v1/completions", {{"model", "qwen"}, {"prompt", "x"}, {"backend", "mlx"}}, &r);
    EXPECT_EQ(r.status, 400);
    EXPECT_NE(r.body.find("cannot serve model 'qwen'"), std::string::npos) << r.body;
  }
  {
    // Engine missing: the chain runs out, and the answer names both failures and the fix.
    ServerProcess server({"--models-dir", s.path(""), "--llama-server", "/nonexistent/llama-server"});
    HttpClient http(server.port());
    testing::HttpResponse r;
    post(http, "/v1/completions", {{"model", "qwen"}, {"prompt", "x"}, {"backend", "fallback"}}, &r);
    EXPECT_EQ(r.status, 503) << r.body;
    EXPECT_NE(r.body.find("architecture 'mamba' is not supported"), std::string::npos) << r.body;
    EXPECT_NE(r.body.find("install llama.cpp or pass --llama-server"), std::string::npos) << r.body;
    post(http, "/v1/completions", {{"model", "qwen"}, {"prompt", "x"}, {"backend", "llama_cpp"}}, &r);
    EXPECT_EQ(r.status, 503) << r.body;
    EXPECT_NE(r.body.find("llama.cpp's llama-server not found"), std::string::npos) << r.body;
  }
}

// An engine that crashes on the request before sending a byte: the fallback chain moves on.
TEST(Backend, CrashBeforeFirstByteFallsBack) {
  Scratch s;
  const std::string engine = s.write("crash-on-post.py", R"(#!/usr/bin/env python3
import http.server, os, sys
port = int(sys.argv[sys.argv.index('--port') + 1])
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.end_headers()
        self.wfile.write(b'{"status": "ok"}')
    def do_POST(self):
        print('crashing on purpose', flush=True)
        os._exit(7)
    def log_message(self, *args):
        pass
http.server.HTTPServer(('127.0.0.1', port), H).serve_forever()
)",
                                     true);
  s.write("models.json",
          json({{"models", {{{"id", "tiny"}, {"path", kStories}, {"fallback", {"llama_cpp", "native"}}}}}}).dump());
  ServerProcess server({"--config", s.path("models.json"), "--llama-server", engine, "-t", "1"});
  HttpClient http(server.port());
  for (bool stream : {false, true}) {
    json body = {{"model", "tiny"}, {"prompt", "Once"}, {"max_tokens", 4}, {"backend", "fallback"}, {"stream", stream}};
    if (!stream) {
      testing::HttpResponse r;
      json j = post(http, "/v1/completions", body, &r);
      EXPECT_EQ(r.status, 200) << r.body;
      EXPECT_EQ(j["backend"], "native") << r.body;
    } else {
      std::vector<SseEvent> events;
      http.stream("/v1/completions", body.dump(), events);
      EXPECT_EQ(last_chunk(events)["backend"], "native") << (events.empty() ? "" : events.back().data);
      EXPECT_FALSE(stream_text(events).empty());
    }
  }
  EXPECT_NE(server.log().find("crashing on purpose"), std::string::npos);
}

// A remote OpenAI-compatible upstream (here: another minerva). Two URLs, one down: requests go
// to the live one; when the dead one comes up, probes put it back in rotation.
TEST(Backend, OpenAiUpstreamBalancesAndProbesBack) {
  Scratch s;
  ServerProcess up1({"-m", kStories, "-t", "1"});
  ASSERT_GT(up1.port(), 0);
  const int dead_port = [] {  // a port nothing listens on (yet)
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    return static_cast<int>(ntohs(addr.sin_port));
  }();
  s.write("models.json", json({{"models",
                                {{{"id", "remote"},
                                  {"backend", "openai"},
                                  {"urls",
                                   {"http://127.0.0.1:" + std::to_string(up1.port()) + "/v1",
                                    "http://127.0.0.1:" + std::to_string(dead_port) + "/v1"}}}}}})
                             .dump());
  ServerProcess front({"--config", s.path("models.json"), "--upstream-probe-interval", "0.1"});
  HttpClient http(front.port());
  for (int i = 0; i < 3; ++i) {
    testing::HttpResponse r;
    json j = post(http, "/v1/completions", {{"model", "remote"}, {"prompt", "Once"}, {"max_tokens", 3}}, &r);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(j["backend"], "openai");
    EXPECT_EQ(r.headers["x-minerva-backend"], "openai");
  }
  json st = model_entry(http, "remote")["engines"]["openai"];
  EXPECT_EQ(st["upstreams"][1]["healthy"], false) << st.dump();
  // Streamed through the upstream too.
  std::vector<SseEvent> events;
  http.stream("/v1/chat/completions",
              json({{"model", "remote"},
                    {"messages", {{{"role", "user"}, {"content", "Hi"}}}},
                    {"max_tokens", 3},
                    {"stream", true}})
                  .dump(),
              events);
  EXPECT_EQ(last_chunk(events)["backend"], "openai");
  // The dead upstream comes up: probed back in, then it takes its share of concurrent requests.
  ServerProcess up2({"-m", kStories, "-t", "1", "--port", std::to_string(dead_port)});
  ASSERT_TRUE(
      wait_until([&] { return model_entry(http, "remote")["engines"]["openai"]["upstreams"][1]["healthy"] == true; },
                 std::chrono::seconds(3)));
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      HttpClient(front.port())
          .request("POST", "/v1/completions",
                   json({{"model", "remote"}, {"prompt", "Once"}, {"max_tokens", 200}}).dump());
    });
  }
  for (auto& t : threads) t.join();
  st = model_entry(http, "remote")["engines"]["openai"];
  EXPECT_GT(st["upstreams"][1]["served"].get<int>(), 0) << st.dump();
}

// A SIGKILLed front server leaves no engine process behind.
TEST(Backend, NoOrphanEnginesAfterSigkill) {
  Scratch s;
  s.link(kStories, "stories.gguf");
  ServerProcess server({"--models-dir", s.path(""), "--llama-server", testing::minerva_binary(), "-t", "1"});
  HttpClient http(server.port());
  ASSERT_EQ(post(http, "/models/load", {{"model", "stories"}, {"backend", "llama_cpp"}})["state"], "loaded");
  const pid_t child = model_entry(http, "stories")["engines"]["llama_cpp"]["pid"];
  ASSERT_TRUE(pid_alive(child));
  ::kill(server.pid(), SIGKILL);
  EXPECT_TRUE(wait_until([&] { return !pid_alive(child); }, std::chrono::seconds(3)));
}

// MLX directories go to the mlx engine (here minerva stands in via --mlx-command); without
// mlx-lm the answer says what to install; structured output is refused where unsupported.
TEST(Backend, MlxDirectoryRoutesToMlxEngine) {
  Scratch s;
  s.write("models/qwen-mlx/config.json", R"({"model_type": "qwen2", "quantization": {"group_size": 64, "bits": 4}})");
  s.write("models/qwen-mlx/model.safetensors", "");
  const std::string dir = s.path("models/qwen-mlx");
  // mlx_lm.server's command line: --model DIR --host H --port N. Check it, then serve stories.
  const std::string engine =
      s.write("mlx.sh",
              "#!/bin/sh\n[ \"$1\" = --model ] && [ \"$2\" = " + dir + " ] || exit 9\nshift 2\nexec " +
                  testing::minerva_binary() + " --model " + kStories + " \"$@\"\n",
              true);
  {
    ServerProcess server({"--models-dir", s.path("models"), "--mlx-command", engine, "-t", "1"});
    HttpClient http(server.port());
    json m = model_entry(http, "qwen-mlx");
    EXPECT_EQ(m["format"], "mlx");
    EXPECT_EQ(m["backend"], "mlx");
    testing::HttpResponse r;
    json j =
        post(http, "/v1/chat/completions",
             {{"model", "qwen-mlx"}, {"messages", {{{"role", "user"}, {"content", "Hi"}}}}, {"max_tokens", 3}}, &r);
    EXPECT_EQ(r.status, 200) << r.body << server.log();
    EXPECT_EQ(j["backend"], "mlx");
    EXPECT_EQ(j["model"], "qwen-mlx");
    post(http, "/v1/chat/completions",
         {{"model", "qwen-mlx"}, {"messages", {{{"role", "user"}, {"content", "Hi"}}}}, {"grammar", "root ::= \"a\""}},
         &r);
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_NE(r.body.find("does not support constrained output"), std::string::npos) << r.body;
    post(http, "/v1/chat/completions",
         {{"model", "qwen-mlx"}, {"messages", {{{"role", "user"}, {"content", "Hi"}}}}, {"backend", "native"}}, &r);
    EXPECT_EQ(r.status, 400) << r.body;
  }
  {
    ServerProcess server({"--models-dir", s.path("models"), "--mlx-command", "python3 -m mlx_lm.server"});
    HttpClient http(server.port());
    testing::HttpResponse r;
    post(http, "/v1/chat/completions", {{"model", "qwen-mlx"}, {"messages", {{{"role", "user"}, {"content", "Hi"}}}}},
         &r);
    EXPECT_EQ(r.status, 503) << r.body;
    EXPECT_NE(r.body.find("mlx-lm not installed: pip install mlx-lm"), std::string::npos) << r.body;
  }
}

}  // namespace
}  // namespace minerva
