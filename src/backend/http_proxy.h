#pragma once

#include <chrono>
#include <string>

#include "backend/backend.h"

namespace minerva {

// Where a proxied request goes: an engine's OpenAI-compatible server.
struct UpstreamTarget {
  std::string host = "127.0.0.1";
  int port = 0;
  std::string base_path = "/v1";  // prefix of /chat/completions and /completions
  std::string api_key;            // sent as Authorization: Bearer, when set
  std::string label;              // "llama_cpp engine (127.0.0.1:41234)": what errors name
  std::chrono::seconds read_timeout{600};
};

// Parses "http://host:port/base" (https is not supported: no TLS in the build).
Result<UpstreamTarget> parse_upstream_url(const std::string& url);

// Sends one completion/chat request and relays the answer. Streaming: every SSE event is handed
// to the sink the moment it arrives; a sink that returns false (client gone) or `cancel` closes
// the upstream connection, which is how the engine learns to stop. Upstream HTTP errors become
// failures naming the engine: 4xx -> Client (status kept), 5xx / connection failures -> Hard.
Completion proxy_completion(const UpstreamTarget& target, const BackendRequest& req, CompletionSink* sink,
                            const CancelToken& cancel);

// GET `path` on the target; the status (0 when unreachable). For readiness and health probes.
int probe_upstream(const UpstreamTarget& target, const std::string& path, std::chrono::milliseconds timeout);

// POST a JSON body and parse the JSON answer (tokenize / detokenize on llama-server).
Result<nlohmann::json> post_json(const UpstreamTarget& target, const std::string& path, const nlohmann::json& body);

// The error message inside an OpenAI / llama-server error body, or the body itself (trimmed).
std::string upstream_error_message(const std::string& body);

}  // namespace minerva
