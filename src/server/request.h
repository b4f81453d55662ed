#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <variant>
#include <vector>

#include "engine/job.h"
#include "server/api_error.h"
#include "server/structured_output.h"

namespace minerva {

// A parsed /v1/completions or /v1/chat/completions body, before tokenization.
struct CompletionRequest {
  bool chat = false;
  std::string model;
  nlohmann::ordered_json messages;  // chat: [{"role", "content" (flattened to text), other fields as sent}]
  nlohmann::ordered_json tools;     // chat: null or the request's tools array
  nlohmann::ordered_json template_kwargs = nlohmann::ordered_json::object();  // chat_template_kwargs
  std::string prompt_text;                                                    // completions with a string prompt
  std::vector<Token> prompt_tokens;                                           // completions with a token-array prompt
  bool prompt_is_tokens = false;
  SamplingParams sampling;
  int64_t max_tokens = -1;
  std::vector<std::string> stop;
  bool stream = false;
  bool include_usage = false;
  std::string backend = "auto";
  int32_t logprobs = -1;  // < 0: off; else alternatives per token (chat: top_logprobs; completions: logprobs)
  std::vector<std::pair<Token, float>> logit_bias;
  bool ignore_eos = false;      // llama.cpp's extension: never end early (benchmarks)
  StructuredOutput structured;  // response_format / grammar / tools
};

// Validates field types and values; errors name the field (OpenAI `param`). Unknown fields are
// ignored, as OpenAI's API does.
std::variant<CompletionRequest, ApiError> parse_completion_request(const nlohmann::ordered_json& body, bool chat);

// Parses a request body: must be a JSON object, valid UTF-8, nested at most 64 deep. Key order
// is kept, so templates that print client JSON (tools, arguments) see it as sent.
std::variant<nlohmann::ordered_json, ApiError> parse_json_body(const std::string& body);

}  // namespace minerva
