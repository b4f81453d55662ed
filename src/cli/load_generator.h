// cli: a load generator for a running OpenAI-compatible server (`minerva bench-serve`):
// concurrent streaming clients, time to first token, latency percentiles, throughput.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "util/error.h"

namespace minerva::cli {

struct LoadOptions {
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string api_key;
  std::string model;        // sent as "model" when non-empty
  int clients = 1;          // concurrent connections, each sending requests back to back
  int requests = 1;         // total requests, spread over the clients
  int prompt_tokens = 128;  // prompt sent as token ids, distinct per request (no prefix reuse)
  int max_tokens = 64;      // tokens to generate; ignore_eos keeps every answer this long
  bool stream = true;
  bool same_prompt = false;  // every request sends request 0's prompt (measures prefix reuse)
  double timeout_s = 600;
};

// One request as the client saw it. Times are seconds from sending the request.
struct RequestTiming {
  bool ok = false;
  std::string error;      // HTTP status / transport error when !ok
  double ttft = 0;        // first streamed token (non-streaming: the whole answer)
  double latency = 0;     // last byte of the answer
  double last_token = 0;  // arrival of the last streamed token
  int64_t tokens = 0;     // completion tokens (usage), or streamed token events
};

struct LoadResult {
  std::vector<RequestTiming> requests;
  double wall_s = 0;  // first request sent .. last answer done

  int64_t failed() const;
  int64_t total_tokens() const;
  double aggregate_tps() const;  // completion tokens of all requests / wall time
  // Mean over requests of (tokens - 1) / (last_token - ttft): each stream's decode speed.
  double mean_stream_tps() const;
};

// Splits "http://host:port" (scheme optional, default port 80) into host and port.
Result<std::pair<std::string, int>> parse_server_url(const std::string& url);

// q in [0, 1]: nearest-rank percentile of `values` (copied and sorted); 0 for none.
double percentile(std::vector<double> values, double q);

// Runs the load and returns every request's timing; transport failures are recorded per
// request, not returned as errors.
LoadResult run_load(const LoadOptions& o);

}  // namespace minerva::cli
