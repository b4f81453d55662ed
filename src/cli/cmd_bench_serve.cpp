// `minerva bench-serve`: load a running server with concurrent streaming clients and report
// time to first token, latency percentiles and throughput per concurrency level.
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/common.h"
#include "cli/load_generator.h"

namespace minerva::cli {

namespace {

struct BenchServeOptions {
  std::string url = "http://127.0.0.1:8080";
  LoadOptions load;
  std::vector<int> clients = {1};
  int requests = 0;
  std::string output = "md";
};

std::vector<double> field(const LoadResult& r, double RequestTiming::*member) {
  std::vector<double> v;
  for (const auto& t : r.requests) {
    if (t.ok) v.push_back(t.*member);
  }
  return v;
}

int bench_serve(const BenchServeOptions& o) {
  auto hp = parse_server_url(o.url);
  if (!hp) return report(hp.error());
  nlohmann::json out = nlohmann::json::array();
  if (o.output == "md") {
    std::printf(
        "| clients | requests | prompt | gen | TTFT p50 ms | TTFT p99 ms | latency p50 ms | latency p99 ms "
        "| stream t/s | aggregate t/s | failed |\n");
    std::printf("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
  }
  int failed = 0;
  for (int clients : o.clients) {
    LoadOptions lo = o.load;
    lo.host = hp->first;
    lo.port = hp->second;
    lo.clients = clients;
    lo.requests = o.requests > 0 ? o.requests : clients;
    const LoadResult r = run_load(lo);
    const auto ttft = field(r, &RequestTiming::ttft);
    const auto latency = field(r, &RequestTiming::latency);
    failed += static_cast<int>(r.failed());
    for (const auto& t : r.requests) {
      if (!t.ok) std::fprintf(stderr, "minerva: request failed: %s\n", t.error.c_str());
    }
    if (o.output == "md") {
      std::printf("| %d | %d | %d | %d | %.1f | %.1f | %.1f | %.1f | %.2f | %.2f | %lld |\n", clients, lo.requests,
                  lo.prompt_tokens, lo.max_tokens, 1e3 * percentile(ttft, 0.5), 1e3 * percentile(ttft, 0.99),
                  1e3 * percentile(latency, 0.5), 1e3 * percentile(latency, 0.99), r.mean_stream_tps(),
                  r.aggregate_tps(), static_cast<long long>(r.failed()));
      std::fflush(stdout);
    } else {
      out.push_back({{"clients", clients},
                     {"requests", lo.requests},
                     {"n_prompt", lo.prompt_tokens},
                     {"n_gen", lo.max_tokens},
                     {"stream", lo.stream},
                     {"ttft_p50_ms", 1e3 * percentile(ttft, 0.5)},
                     {"ttft_p99_ms", 1e3 * percentile(ttft, 0.99)},
                     {"latency_p50_ms", 1e3 * percentile(latency, 0.5)},
                     {"latency_p99_ms", 1e3 * percentile(latency, 0.99)},
                     {"stream_tps", r.mean_stream_tps()},
                     {"aggregate_tps", r.aggregate_tps()},
                     {"completion_tokens", r.total_tokens()},
                     {"wall_s", r.wall_s},
                     {"failed", r.failed()}});
    }
  }
  if (o.output == "json") std::printf("%s\n", out.dump(2).c_str());
  return failed == 0 ? 0 : 1;
}

}  // namespace

Command register_bench_serve(CLI::App& app) {
  auto o = std::make_shared<BenchServeOptions>();
  CLI::App* sub = app.add_subcommand(
      "bench-serve", "Load a running OpenAI-compatible server: TTFT, latency p50/p99, streaming and aggregate t/s");
  sub->add_option("--url", o->url, "Server address (http://host:port)")->capture_default_str();
  sub->add_option("--api-key", o->load.api_key, "Bearer token, if the server requires one");
  sub->add_option("--model", o->load.model, "Model id to request (default: the server's)");
  sub->add_option("-c,--clients", o->clients, "Concurrency levels to run, e.g. 1,2,4,8")
      ->delimiter(',')
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  sub->add_option("-r,--requests", o->requests, "Requests per level (0: one per client)")
      ->check(CLI::Range(0, 1000000))
      ->capture_default_str();
  sub->add_option("-p,--n-prompt", o->load.prompt_tokens, "Prompt length in tokens (distinct random ids per request)")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  sub->add_option("-n,--n-gen", o->load.max_tokens, "Tokens to generate per request (sent with ignore_eos)")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  sub->add_flag("--no-stream{false}", o->load.stream, "Send non-streaming requests (TTFT = latency)");
  sub->add_flag("--same-prompt", o->load.same_prompt, "Every request sends the same prompt (prefix reuse)");
  sub->add_option("--timeout", o->load.timeout_s, "Seconds to wait for one answer")->capture_default_str();
  sub->add_option("-o,--output", o->output, "Output format: md (table) or json")
      ->check(CLI::IsMember({"md", "json"}))
      ->capture_default_str();
  return {sub, [o] { return bench_serve(*o); }};
}

}  // namespace minerva::cli
