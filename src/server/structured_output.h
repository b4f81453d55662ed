// server: the request fields that constrain what a model may write: response_format, grammar,
// tools + tool_choice. They all become one grammar for the engine.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "grammar/grammar.h"
#include "server/api_error.h"

namespace minerva {

struct StructuredOutput {
  std::string gbnf;                                 // the grammar's text; empty: unconstrained
  std::shared_ptr<const grammar::Grammar> grammar;  // compiled gbnf
  // Tools with tool_choice other than "none": the output is either one tool call written as
  // {"name":"<function>","arguments":<object>} or (tool_choice "auto") text that does not
  // start with '{'. Responses turn the call into OpenAI tool_calls.
  bool tool_calls = false;
};

// Reads response_format ({"type":"text"|"json_object"|"json_schema"}, json_schema in OpenAI's
// {"json_schema":{"name","schema","strict"}} form or the bare {"schema":...} form), grammar (GBNF
// text) and, for chat, tools + tool_choice ("auto" | "none" | "required" | {"type":"function",
// "function":{"name"}}). Errors are 400s naming the field; schema errors carry the JSON pointer
// of the offending keyword (from the request body's root), grammar errors the line and column.
std::optional<ApiError> parse_structured_output(const nlohmann::ordered_json& body, bool chat, StructuredOutput& out);

}  // namespace minerva
