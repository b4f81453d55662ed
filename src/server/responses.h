#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <variant>

#include "engine/job.h"
#include "server/api_error.h"
#include "tokenizer/tokenizer.h"

namespace minerva {

// What every response object of one request shares.
struct ResponseContext {
  std::string id;  // "chatcmpl-..." or "cmpl-..."
  std::string model;
  int64_t created = 0;  // unix seconds
  bool chat = false;
};

int64_t unix_time();
const char* finish_reason_name(FinishReason r);  // "stop" | "length"

// OpenAI response shapes: chat.completion / text_completion objects, and their stream chunks.
nlohmann::json completion_response(const ResponseContext& rc, const std::string& text, FinishReason finish,
                                   const GenerationUsage& usage, const nlohmann::json& logprobs = nullptr);
nlohmann::json chat_role_chunk(const ResponseContext& rc);  // first chat chunk: delta.role
nlohmann::json delta_chunk(const ResponseContext& rc, const std::string& text,
                           const nlohmann::json& logprobs = nullptr);

// The `logprobs` object of a choice: chat's {"content": [{token, logprob, bytes, top_logprobs}]}
// or completions' {tokens, token_logprobs, top_logprobs, text_offset}. `text_offset` is where the
// first token's text starts in the completion (completions only; advanced past these tokens).
nlohmann::json logprobs_json(const Tokenizer& tok, bool chat, std::span<const TokenLogprob> entries,
                             int64_t* text_offset);
nlohmann::json finish_chunk(const ResponseContext& rc, FinishReason finish);
nlohmann::json usage_chunk(const ResponseContext& rc, const GenerationUsage& usage);  // choices: []
nlohmann::json usage_json(const GenerationUsage& usage);
nlohmann::json timings_json(const GenerationUsage& usage);

// POST /tokenize and /detokenize (llama-server's shapes).
struct TokenizeRequest {
  std::string content;
  bool add_special = false;
  bool parse_special = true;
  bool with_pieces = false;
};
std::variant<TokenizeRequest, ApiError> parse_tokenize_request(const nlohmann::json& body);
nlohmann::json tokenize_response(const Tokenizer& tok, const TokenizeRequest& req);
std::variant<nlohmann::json, ApiError> detokenize_response(const Tokenizer& tok, const nlohmann::json& body);

}  // namespace minerva
