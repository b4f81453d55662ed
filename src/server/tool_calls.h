// server: OpenAI tool_calls out of text generated under a tools grammar (see
// structured_output.h): {"name":"<function>","arguments":<object>}, possibly after blank space.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "server/responses.h"

namespace minerva {

struct ToolCall {
  std::string name;
  std::string arguments;  // the arguments object's JSON text, as generated
};

// The call in `text`, or nullopt when it is plain text.
std::optional<ToolCall> parse_tool_call(const std::string& text);

// Rewrites a chat.completion response whose message content is `text`: a tool call becomes
// message.tool_calls (content null) and finish_reason "tool_calls" (when it stopped normally).
void apply_tool_calls(nlohmann::json& response, const std::string& text);

// Streaming: turns text deltas into chat chunks, content deltas for plain text, or for a call one
// chunk with its id, type and name, then chunks of `function.arguments` text.
class ToolCallStream {
 public:
  explicit ToolCallStream(ResponseContext rc) : rc_(std::move(rc)) {}
  std::vector<nlohmann::json> push(const std::string& text);
  // What is left at the end; `finish` is turned into "tool_calls" when a call was made.
  std::vector<nlohmann::json> finish(nlohmann::json& finish_chunk);

 private:
  nlohmann::json args_chunk(const std::string& args) const;
  std::vector<nlohmann::json> drain(bool at_end);

  ResponseContext rc_;
  enum class Mode { Undecided, Text, Call } mode_ = Mode::Undecided;
  std::string buf_;
  bool header_sent_ = false;
  std::string id_;
};

}  // namespace minerva
