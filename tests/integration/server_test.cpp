// End to end: a real `minerva serve` process, real HTTP over loopback.
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "formats/gguf_writer.h"
#include "server_fixture.h"
#include "subprocess.h"

namespace minerva {
namespace {

using json = nlohmann::json;
using testing::HttpClient;
using testing::ServerProcess;
using testing::SseEvent;

const std::string kStories = testing::shared_path("models/stories260K.gguf");

json stories_ref() {
  std::ifstream in(testing::shared_path("reference/stories260K.gguf.json"));
  json j;
  in >> j;
  return j;
}

// Collects the text of a stream's events; checks the framing on the way.
std::string stream_text(const std::vector<SseEvent>& events, bool chat, std::string* finish = nullptr) {
  std::string text;
  for (const auto& ev : events) {
    if (ev.data == "[DONE]") continue;
    json j = json::parse(ev.data);
    if (j["choices"].empty()) continue;
    const json& c = j["choices"][0];
    if (!c["finish_reason"].is_null() && finish) *finish = c["finish_reason"];
    if (chat) {
      if (c["delta"].contains("content")) text += c["delta"]["content"].get<std::string>();
    } else {
      text += c["text"].get<std::string>();
    }
  }
  return text;
}

int64_t metric(HttpClient& http, const std::string& name) {
  const std::string body = http.request("GET", "/metrics").body;
  const size_t at = body.find("\n" + name + " ");
  return at == std::string::npos ? -1 : std::stoll(body.substr(at + name.size() + 2));
}

class ServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new ServerProcess({"-m", kStories, "--parallel", "4", "-t", "2"}); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override { ASSERT_GT(server_->port(), 0) << server_->log(); }
  HttpClient http() { return HttpClient(server_->port()); }
  static ServerProcess* server_;
};
ServerProcess* ServerTest::server_ = nullptr;

TEST_F(ServerTest, HealthAndModels) {
  auto h = http().request("GET", "/health");
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(json::parse(h.body)["status"], "ok");
  auto m = http().request("GET", "/v1/models");
  ASSERT_EQ(m.status, 200);
  json j = json::parse(m.body);
  EXPECT_EQ(j["object"], "list");
  EXPECT_EQ(j["data"][0]["id"], "stories260K.gguf");
  EXPECT_EQ(m.headers["access-control-allow-origin"], "*");
}

// Greedy completion from the reference prompt tokens reproduces llama.cpp's 32 tokens.
TEST_F(ServerTest, GreedyCompletionMatchesReference) {
  json ref = stories_ref();
  json body = {{"prompt", ref["prompt_tokens"]}, {"max_tokens", 32}, {"temperature", 0}};
  auto r = http().request("POST", "/v1/completions", body.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  json j = json::parse(r.body);
  EXPECT_EQ(j["object"], "text_completion");
  EXPECT_EQ(j["choices"][0]["text"], " " + ref["greedy_text"].get<std::string>());
  EXPECT_EQ(j["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(j["usage"]["prompt_tokens"], 21);
  EXPECT_EQ(j["usage"]["completion_tokens"], 32);
  EXPECT_EQ(j["usage"]["total_tokens"], 53);
  EXPECT_TRUE(j["timings"].contains("predicted_per_second"));
}

TEST_F(ServerTest, ChatCompletionShape) {
  json body = {{"messages", {{{"role", "user"}, {"content", "Tell me a story"}}}}, {"max_tokens", 8}, {"seed", 3}};
  auto r = http().request("POST", "/v1/chat/completions", body.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  json j = json::parse(r.body);
  EXPECT_EQ(j["object"], "chat.completion");
  EXPECT_EQ(j["id"].get<std::string>().rfind("chatcmpl-", 0), 0u);
  EXPECT_EQ(j["choices"][0]["message"]["role"], "assistant");
  EXPECT_TRUE(j["choices"][0]["message"]["content"].is_string());
  EXPECT_LE(j["usage"]["completion_tokens"].get<int>(), 8);
}

// Streaming: one event per piece, delivered as generated, same text as non-streaming.
TEST_F(ServerTest, StreamingDeliversEveryPieceAndMatchesNonStreaming) {
  json body = {{"prompt", "Once upon a time"}, {"max_tokens", 40}, {"temperature", 0}};
  auto whole = http().request("POST", "/v1/completions", body.dump());
  ASSERT_EQ(whole.status, 200);
  body["stream"] = true;
  body["stream_options"] = {{"include_usage", true}};
  std::vector<SseEvent> events;
  auto r = http().stream("/v1/completions", body.dump(), events);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.headers["content-type"], "text/event-stream");
  EXPECT_EQ(r.headers["x-accel-buffering"], "no");
  ASSERT_GE(events.size(), 40u);  // a piece per token (minus empty ones) + finish + usage + [DONE]
  EXPECT_EQ(events.back().data, "[DONE]");
  json usage = json::parse(events[events.size() - 2].data);
  EXPECT_TRUE(usage["choices"].empty());
  EXPECT_EQ(usage["usage"]["completion_tokens"], 40);
  std::string finish;
  EXPECT_EQ(stream_text(events, false, &finish), json::parse(whole.body)["choices"][0]["text"]);
  EXPECT_EQ(finish, "length");
}

// Events arrive while the text is being generated, not in one burst at the end.
TEST_F(ServerTest, StreamArrivesIncrementally) {
  json body = {{"prompt", "Once upon a time"},
               {"max_tokens", 1500},
               {"temperature", 1.0},
               {"seed", 5},
               {"logit_bias", {{"2", -100}}},  // no end-of-text: always 1500 tokens
               {"stream", true}};
  std::vector<SseEvent> events;
  const auto start = std::chrono::steady_clock::now();
  http().stream("/v1/completions", body.dump(), events);
  ASSERT_GT(events.size(), 1000u);
  const double total = std::chrono::duration<double>(events.back().at - start).count();
  const double spread = std::chrono::duration<double>(events[events.size() - 3].at - events[0].at).count();
  std::set<std::chrono::steady_clock::time_point> distinct;
  for (const auto& ev : events) distinct.insert(ev.at);
  EXPECT_GT(spread, 0.5 * total) << "first event after " << (total - spread) << " s of " << total << " s";
  EXPECT_GT(distinct.size(), 50u);
}

TEST_F(ServerTest, ChatStreamStartsWithRoleAndEndsWithFinishReason) {
  json body = {{"messages", {{{"role", "user"}, {"content", "Hi"}}}}, {"max_tokens", 5}, {"stream", true}};
  std::vector<SseEvent> events;
  auto r = http().stream("/v1/chat/completions", body.dump(), events);
  ASSERT_EQ(r.status, 200);
  ASSERT_GE(events.size(), 3u);
  json first = json::parse(events[0].data);
  EXPECT_EQ(first["object"], "chat.completion.chunk");
  EXPECT_EQ(first["choices"][0]["delta"]["role"], "assistant");
  json last = json::parse(events[events.size() - 2].data);
  EXPECT_EQ(last["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(events.back().data, "[DONE]");
}

TEST_F(ServerTest, StopStringsEndTheTextWithoutLeaking) {
  json body = {{"prompt", "Once upon a time"}, {"max_tokens", 60}, {"temperature", 0}, {"stop", {"Lily"}}};
  auto r = http().request("POST", "/v1/completions", body.dump());
  json j = json::parse(r.body);
  EXPECT_EQ(j["choices"][0]["text"], ", there was a little girl named ");
  EXPECT_EQ(j["choices"][0]["finish_reason"], "stop");
  body["stream"] = true;
  std::vector<SseEvent> events;
  http().stream("/v1/completions", body.dump(), events);
  EXPECT_EQ(stream_text(events, false), ", there was a little girl named ");
}

// Many clients at once (more than the 4 slots): all finish, and greedy results equal the
// same requests run one at a time.
TEST_F(ServerTest, ConcurrentStreamsEqualSequentialResults) {
  const std::vector<std::string> prompts = {"Once upon a time", "Tom had a dog",   "The sun was", "Lily and Ben",
                                            "One day, a cat",   "The little bird", "Mom said",    "A big red ball"};
  std::vector<std::string> sequential;
  for (const auto& p : prompts) {
    json body = {{"prompt", p}, {"max_tokens", 48}, {"temperature", 0}};
    sequential.push_back(
        json::parse(http().request("POST", "/v1/completions", body.dump()).body)["choices"][0]["text"]);
  }
  std::vector<std::string> concurrent(prompts.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < prompts.size(); ++i) {
    threads.emplace_back([&, i] {
      json body = {{"prompt", prompts[i]}, {"max_tokens", 48}, {"temperature", 0}, {"stream", true}};
      std::vector<SseEvent> events;
      HttpClient(server_->port()).stream("/v1/completions", body.dump(), events);
      concurrent[i] = stream_text(events, false);
    });
  }
  for (auto& t : threads) t.join();
  for (size_t i = 0; i < prompts.size(); ++i) EXPECT_EQ(concurrent[i], sequential[i]) << prompts[i];
}

// A client that disconnects mid-stream frees its slot: generation stops growing.
TEST_F(ServerTest, DisconnectCancelsGeneration) {
  json body = {
      {"prompt", "Once upon a time"}, {"max_tokens", 2000}, {"temperature", 1.0}, {"seed", 1}, {"stream", true}};
  const int64_t before = metric(*std::make_unique<HttpClient>(server_->port()), "minerva_generated_tokens_total");
  std::vector<SseEvent> events;
  http().stream("/v1/completions", body.dump(), events, [](const SseEvent&) { return false; });  // drop at once
  HttpClient h = http();
  int64_t busy = -1;
  for (int i = 0; i < 100 && busy != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    busy = metric(h, "minerva_slots_busy");
  }
  EXPECT_EQ(busy, 0);
  const int64_t after = metric(h, "minerva_generated_tokens_total");
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(metric(h, "minerva_generated_tokens_total"), after);  // stopped growing
  EXPECT_LT(after - before, 2000);                                // and stopped early
}

TEST_F(ServerTest, LogprobsForCompletionsAndChat) {
  json body = {{"prompt", "Once upon a time"}, {"max_tokens", 3}, {"temperature", 0}, {"logprobs", 2}};
  json j = json::parse(http().request("POST", "/v1/completions", body.dump()).body);
  const json& lp = j["choices"][0]["logprobs"];
  ASSERT_EQ(lp["tokens"].size(), 3u);
  EXPECT_EQ(lp["tokens"][0], ",");
  EXPECT_EQ(lp["text_offset"], json::parse("[0, 1, 7]"));
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_LT(lp["token_logprobs"][i].get<double>(), 0.0);
    EXPECT_EQ(lp["top_logprobs"][i].size(), 2u);
    // Greedy: the chosen token is the most likely one.
    EXPECT_DOUBLE_EQ(lp["top_logprobs"][i][lp["tokens"][i].get<std::string>()].get<double>(),
                     lp["token_logprobs"][i].get<double>());
  }
  json chat = {{"messages", {{{"role", "user"}, {"content", "Hi"}}}},
               {"max_tokens", 2},
               {"logprobs", true},
               {"top_logprobs", 3},
               {"stream", true}};
  std::vector<SseEvent> events;
  http().stream("/v1/chat/completions", chat.dump(), events);
  int with_logprobs = 0;
  for (const auto& ev : events) {
    if (ev.data == "[DONE]") continue;
    json c = json::parse(ev.data)["choices"][0];
    if (c["logprobs"].is_null()) continue;
    ++with_logprobs;
    EXPECT_EQ(c["logprobs"]["content"][0]["top_logprobs"].size(), 3u);
    EXPECT_TRUE(c["logprobs"]["content"][0]["bytes"].is_array());
  }
  EXPECT_EQ(with_logprobs, 2);
}

TEST_F(ServerTest, LogitBiasBansAToken) {
  json body = {{"prompt", "Once upon a time"}, {"max_tokens", 3}, {"temperature", 0}};
  EXPECT_EQ(json::parse(http().request("POST", "/v1/completions", body.dump()).body)["choices"][0]["text"],
            ", there was");
  body["logit_bias"] = {{"432", -100}};  // 432 is ","
  EXPECT_EQ(json::parse(http().request("POST", "/v1/completions", body.dump()).body)["choices"][0]["text"],
            " there was a");
}

TEST_F(ServerTest, IgnoreEosGeneratesMaxTokens) {
  json body = {{"prompt", "Once upon a time"}, {"max_tokens", 5}, {"temperature", 0}, {"logit_bias", {{"2", 100}}}};
  json j = json::parse(http().request("POST", "/v1/completions", body.dump()).body);
  EXPECT_EQ(j["choices"][0]["finish_reason"], "stop");  // end-of-text (id 2) is all but forced
  EXPECT_EQ(j["usage"]["completion_tokens"], 0);
  body["ignore_eos"] = true;
  j = json::parse(http().request("POST", "/v1/completions", body.dump()).body);
  EXPECT_EQ(j["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(j["usage"]["completion_tokens"], 5);
  body["ignore_eos"] = "yes";
  auto bad = http().request("POST", "/v1/completions", body.dump());
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(json::parse(bad.body)["error"]["param"], "ignore_eos");
}

TEST_F(ServerTest, BenchServeMeasuresALiveServer) {
  auto r = testing::run_minerva({"bench-serve", "--url", "http://127.0.0.1:" + std::to_string(server_->port()), "-c",
                                 "1,3", "-r", "6", "-p", "16", "-n", "4", "-o", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json rows = json::parse(r.out);
  ASSERT_EQ(rows.size(), 2u);
  for (const json& row : rows) {
    EXPECT_EQ(row["failed"], 0);
    EXPECT_EQ(row["requests"], 6);
    EXPECT_EQ(row["completion_tokens"], 24);  // ignore_eos: every answer is exactly -n tokens
    EXPECT_GT(row["ttft_p50_ms"].get<double>(), 0.0);
    EXPECT_GE(row["ttft_p99_ms"].get<double>(), row["ttft_p50_ms"].get<double>());
    EXPECT_GE(row["latency_p50_ms"].get<double>(), row["ttft_p50_ms"].get<double>());
    EXPECT_GT(row["stream_tps"].get<double>(), 0.0);
    EXPECT_GT(row["aggregate_tps"].get<double>(), 0.0);
  }
  EXPECT_EQ(rows[1]["clients"], 3);
  auto down = testing::run_minerva({"bench-serve", "--url", "http://127.0.0.1:1", "-n", "2"});
  EXPECT_EQ(down.exit_code, 1);
  EXPECT_NE(down.err.find("request failed: transport error"), std::string::npos) << down.err;
  auto bad = testing::run_minerva({"bench-serve", "--url", "https://x:1"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("https is not supported"), std::string::npos) << bad.err;
}

TEST_F(ServerTest, TokenizeAndDetokenize) {
  auto r = http().request("POST", "/tokenize", json{{"content", "Once upon a time"}, {"add_special", true}}.dump());
  ASSERT_EQ(r.status, 200);
  json ids = json::parse(r.body)["tokens"];
  EXPECT_EQ(ids, json::parse("[1, 403, 407, 261, 378]"));
  auto d = http().request("POST", "/detokenize", json{{"tokens", ids}}.dump());
  EXPECT_EQ(json::parse(d.body)["content"], " Once upon a time");
  auto p = http().request("POST", "/tokenize", json{{"content", "Once"}, {"with_pieces", true}}.dump());
  EXPECT_EQ(json::parse(p.body)["tokens"][0]["piece"], " Once");
}

TEST_F(ServerTest, CorsPreflight) {
  auto r = http().request("OPTIONS", "/v1/chat/completions");
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(r.headers["access-control-allow-origin"], "*");
  EXPECT_NE(r.headers["access-control-allow-headers"].find("Authorization"), std::string::npos);
}

TEST_F(ServerTest, MetricsExposeCountersAndHistograms) {
  auto r = http().request("GET", "/metrics");
  ASSERT_EQ(r.status, 200);
  for (const char* name :
       {"minerva_requests_total", "minerva_generated_tokens_total", "minerva_slots_busy", "minerva_queue_depth",
        "minerva_time_to_first_token_seconds_bucket", "minerva_request_duration_seconds_count"}) {
    EXPECT_NE(r.body.find(name), std::string::npos) << name;
  }
}

// Bad requests get 4xx with an OpenAI error object naming the problem; nothing crashes.
struct BadRequest {
  const char* name;
  std::string path;
  std::string body;
  int status;
  std::string message_part;
  std::string param;
  std::string content_type = "application/json";
};

void PrintTo(const BadRequest& b, std::ostream* os) { *os << b.name; }

class ServerErrors : public ServerTest, public ::testing::WithParamInterface<BadRequest> {};

TEST_P(ServerErrors, OpenAiErrorObject) {
  const BadRequest& b = GetParam();
  auto r = http().request("POST", b.path, b.body, {{"Content-Type", b.content_type}});
  EXPECT_EQ(r.status, b.status) << r.body;
  json j = json::parse(r.body);
  ASSERT_TRUE(j.contains("error")) << r.body;
  EXPECT_NE(j["error"]["message"].get<std::string>().find(b.message_part), std::string::npos) << r.body;
  EXPECT_TRUE(j["error"].contains("type"));
  if (!b.param.empty()) {
    EXPECT_EQ(j["error"]["param"], b.param) << r.body;
  }
  EXPECT_EQ(http().request("GET", "/health").status, 200);  // still alive
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ServerErrors,
    ::testing::Values(
        BadRequest{"malformed_json", "/v1/completions", "{\"prompt\": ", 400, "not valid JSON", ""},
        BadRequest{"not_an_object", "/v1/completions", "[1,2]", 400, "must be a JSON object", ""},
        BadRequest{"invalid_utf8", "/v1/completions", "{\"prompt\": \"\xff\xfe\"}", 400, "UTF-8", ""},
        BadRequest{"wrong_type", "/v1/completions", R"({"prompt": "x", "temperature": "hot"})", 400,
                   "'temperature' must be a number", "temperature"},
        BadRequest{"missing_prompt", "/v1/completions", R"({"max_tokens": 3})", 400, "'prompt' is required", "prompt"},
        BadRequest{"missing_messages", "/v1/chat/completions", R"({"prompt": "x"})", 400, "'messages' is required",
                   "messages"},
        BadRequest{"bad_message", "/v1/chat/completions", R"({"messages": [{"content": "x"}]})", 400,
                   "messages[0].role", "messages[0].role"},
        BadRequest{"n_two", "/v1/completions", R"({"prompt": "x", "n": 2})", 400, "'n' must be 1", "n"},
        BadRequest{"bad_top_p", "/v1/completions", R"({"prompt": "x", "top_p": 1.5})", 400, "top_p", ""},
        BadRequest{"bad_backend", "/v1/completions", R"({"prompt": "x", "backend": "gpu"})", 400,
                   "unknown backend 'gpu'", "backend"},
        BadRequest{"absent_backend", "/v1/completions", R"({"prompt": "x", "backend": "llama_cpp"})", 503,
                   "llama-server not found", "backend"},
        BadRequest{"bad_token", "/v1/completions", R"({"prompt": [1, 99999]})", 400, "99999", ""},
        BadRequest{"deep_json", "/v1/completions", std::string(100, '[') + std::string(100, ']'), 400,
                   "nested more than", ""},
        BadRequest{"content_type", "/v1/completions", R"({"prompt": "x"})", 400, "Content-Type", "", "text/plain"},
        BadRequest{"unknown_route", "/v1/nothing", "{}", 404, "no route", ""}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(ServerLimits, PromptLongerThanContextIsRejectedWithBothNumbers) {
  ServerProcess server({"-m", kStories, "-c", "16", "-t", "1"});
  ASSERT_GT(server.port(), 0) << server.log();
  std::string prompt;
  for (int i = 0; i < 40; ++i) prompt += "Once upon a time ";
  auto r = HttpClient(server.port()).request("POST", "/v1/completions", json{{"prompt", prompt}}.dump());
  EXPECT_EQ(r.status, 400);
  const std::string msg = json::parse(r.body)["error"]["message"];
  EXPECT_NE(msg.find("context size is 16"), std::string::npos) << msg;
  EXPECT_NE(msg.find("the prompt has "), std::string::npos) << msg;
  // Generation that reaches the end of the context stops with "length".
  auto g =
      HttpClient(server.port()).request("POST", "/v1/completions", json{{"prompt", "Once"}, {"temperature", 0}}.dump());
  ASSERT_EQ(g.status, 200) << g.body;
  json j = json::parse(g.body);
  EXPECT_EQ(j["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(j["usage"]["total_tokens"], 16);
}

// Beyond the slots, requests wait in a bounded queue; past it the server answers 503.
TEST(ServerLimits, FullQueueAnswers503WithRetryAfter) {
  ServerProcess server({"-m", kStories, "-t", "1", "--parallel", "1", "--max-queue", "1"});
  ASSERT_GT(server.port(), 0);
  json slow = {{"prompt", "Once"}, {"max_tokens", 1900}, {"temperature", 1.0}, {"stream", true}};
  std::atomic<int> started{0};
  std::atomic<bool> release{false};
  std::vector<std::thread> holders;
  // One request generating (1900 tokens take far longer than the steps below), one queued.
  for (int i = 0; i < 2; ++i) {
    holders.emplace_back([&] {
      std::vector<SseEvent> events;
      HttpClient(server.port()).stream("/v1/completions", slow.dump(), events, [&](const SseEvent&) {
        started.fetch_add(1);
        while (!release.load()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
        return false;
      });
    });
    while (i == 0 && started.load() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  HttpClient h(server.port());
  int64_t queued = 0;
  for (int i = 0; i < 1000 && queued != 1; ++i) {
    queued = metric(h, "minerva_queue_depth");
    if (queued != 1) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_EQ(queued, 1);
  auto r = h.request("POST", "/v1/completions", json{{"prompt", "x"}, {"max_tokens", 1}}.dump());
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.headers["retry-after"], "1");
  release.store(true);
  for (auto& t : holders) t.join();
}

// stories260K with a model chat template in its metadata, written to a temp file.
std::string stories_with_template(const std::string& template_file) {
  std::ifstream in(testing::shared_path("chat-templates/" + template_file));
  std::stringstream source;
  source << in.rdbuf();
  auto src = GgufFile::open(kStories);
  GgufWriter w;
  w.copy_metadata(src.value());
  w.set_string("tokenizer.chat_template", source.str());
  for (const TensorView& t : src->tensors()) {
    (void)w.add_tensor(t.name, t.type, std::vector<int64_t>(t.ne.begin(), t.ne.begin() + t.n_dims),
                       std::span<const uint8_t>(t.data, t.nbytes));
  }
  const std::string path = ::testing::TempDir() + "stories_" + template_file + ".gguf";
  EXPECT_TRUE(w.write_file(path).ok());
  return path;
}

// The model's own template renders chat prompts exactly as Python Jinja2 does (Mistral-Nemo's
// template: bos <s> / eos </s>, the same tokens as stories260K's vocabulary).
TEST(ServerChatTemplate, ModelTemplateMatchesPythonRender) {
  ServerProcess server({"-m", stories_with_template("mistralai-Mistral-Nemo-Instruct-2407.jinja"), "-t", "1"});
  ASSERT_GT(server.port(), 0) << server.log();
  EXPECT_NE(server.log().find("chat template: the model"), std::string::npos) << server.log();
  std::ifstream in(testing::shared_path("chat-templates/mistralai-Mistral-Nemo-Instruct-2407.expected.json"));
  json cases;
  in >> cases;
  HttpClient h(server.port());
  int checked = 0;
  for (const json& c : cases) {
    if (c.contains("tools") || c.value("expected_error", false)) continue;
    json body = {{"messages", c["messages"]}, {"add_generation_prompt", c["add_generation_prompt"]}};
    auto r = h.request("POST", "/apply-template", body.dump());
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(json::parse(r.body)["prompt"], c["expected"]) << c["case"];
    ++checked;
  }
  EXPECT_GE(checked, 6);
  // The rendered prompt starts with <s>; the tokenizer must not add a second BOS.
  json chat = {{"messages", {{{"role", "user"}, {"content", "What is 2+2?"}}}}, {"max_tokens", 1}};
  json usage = json::parse(h.request("POST", "/v1/chat/completions", chat.dump()).body)["usage"];
  json toks = json::parse(
      h.request("POST", "/tokenize", json{{"content", "<s>[INST]What is 2+2?[/INST]"}, {"parse_special", true}}.dump())
          .body)["tokens"];
  EXPECT_EQ(usage["prompt_tokens"], toks.size());
}

TEST(ServerChatTemplate, TemplateErrorsAre400WithTheTemplatesMessage) {
  ServerProcess server({"-m", stories_with_template("google-gemma-2-2b-it.jinja"), "-t", "1"});
  ASSERT_GT(server.port(), 0) << server.log();
  json body = {{"messages", {{{"role", "system"}, {"content", "be brief"}}, {{"role", "user"}, {"content", "hi"}}}}};
  auto r = HttpClient(server.port()).request("POST", "/v1/chat/completions", body.dump());
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(json::parse(r.body)["error"]["message"].get<std::string>().find("System role not supported"),
            std::string::npos)
      << r.body;
}

TEST(ServerChatTemplate, ExplicitTemplateFileAndBadOption) {
  ServerProcess chatml({"-m", kStories, "-t", "1", "--chat-template", "chatml"});
  ASSERT_GT(chatml.port(), 0);
  json body = {{"messages", {{{"role", "user"}, {"content", "Hi"}}}}};
  EXPECT_EQ(json::parse(HttpClient(chatml.port()).request("POST", "/apply-template", body.dump()).body)["prompt"],
            "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
  ServerProcess bad({"-m", kStories, "--chat-template", "/nonexistent/template.jinja"});
  EXPECT_EQ(bad.stop(), 1);
  EXPECT_NE(bad.log().find("neither a built-in name"), std::string::npos) << bad.log();
}

TEST(ServerLimits, BodyTooLargeIs413) {
  ServerProcess server({"-m", kStories, "-t", "1"});
  ASSERT_GT(server.port(), 0);
  std::string big = "{\"prompt\": \"" + std::string(9u << 20, 'a') + "\"}";
  auto r = HttpClient(server.port()).request("POST", "/v1/completions", big);
  EXPECT_EQ(r.status, 413);
}

TEST(ServerAuth, ApiKeyRequiredEverywhereButHealth) {
  ServerProcess server({"-m", kStories, "-t", "1", "--api-key", "s3cret"});
  ASSERT_GT(server.port(), 0);
  HttpClient h(server.port());
  EXPECT_EQ(h.request("GET", "/health").status, 200);
  auto none = h.request("GET", "/v1/models");
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(json::parse(none.body)["error"]["type"], "authentication_error");
  EXPECT_EQ(h.request("GET", "/v1/models", "", {{"Authorization", "Bearer wrong"}}).status, 401);
  EXPECT_EQ(h.request("GET", "/v1/models", "", {{"Authorization", "Bearer s3cret"}}).status, 200);
  json body = {{"prompt", "Hi"}, {"max_tokens", 2}};
  EXPECT_EQ(h.request("POST", "/v1/completions", body.dump(), {{"Authorization", "Bearer s3cret"}}).status, 200);
  EXPECT_EQ(h.request("POST", "/v1/completions", body.dump()).status, 401);
}

TEST(ServerLifecycle, BadModelExitsWithOneLine) {
  ServerProcess server({"-m", "/nonexistent.gguf"});
  // The port is bound before loading; the load failure then stops the server with exit 1.
  EXPECT_EQ(server.stop(), 1);
  EXPECT_NE(server.log().find("minerva: /nonexistent.gguf: no such file"), std::string::npos) << server.log();
}

TEST(ServerLifecycle, SigtermShutsDownCleanly) {
  ServerProcess server({"-m", kStories, "-t", "1"});
  ASSERT_GT(server.port(), 0);
  EXPECT_EQ(server.stop(), 0) << server.log();
}

}  // namespace
}  // namespace minerva
