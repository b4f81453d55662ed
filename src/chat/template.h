// Jinja2 chat templates: parse once, render many times, with the semantics of HuggingFace
// transformers' environment (Jinja2 sandbox, trim_blocks, lstrip_blocks, loop controls,
// HF's tojson, raise_exception, strftime_now).
#pragma once

#include <cstddef>
#include <ctime>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "util/error.h"

namespace minerva::chat {

struct Node;

struct RenderOptions {
  // Time for strftime_now(); the current local time when unset.
  std::optional<std::tm> now;
  size_t max_output_bytes = size_t{16} << 20;  // total bytes rendered, captured output included
  size_t max_loop_iterations = 1'000'000;      // all loops together, and range() sizes
  int max_call_depth = 100;                    // nested macro/filter calls
};

class Template {
 public:
  // Errors name the line:column of the problem.
  static Result<Template> parse(std::string_view source);

  // `context` is an object: its members become template variables.
  Result<std::string> render(const nlohmann::ordered_json& context, const RenderOptions& options = {}) const;

 private:
  struct Impl;
  std::shared_ptr<const Impl> impl_;
};

struct ChatTemplateInputs {
  nlohmann::ordered_json messages = nlohmann::ordered_json::array();
  nlohmann::ordered_json tools;  // null: none
  bool add_generation_prompt = false;
  std::optional<std::string> bos_token;  // not passed when unset
  std::optional<std::string> eos_token;
  nlohmann::ordered_json extra = nlohmann::ordered_json::object();  // more template variables
};

// Renders like transformers' apply_chat_template(tokenize=False): messages, tools (None when
// absent), documents=None, add_generation_prompt, bos_token/eos_token, extra kwargs.
Result<std::string> apply_chat_template(const Template& tmpl, const ChatTemplateInputs& inputs,
                                        const RenderOptions& options = {});

}  // namespace minerva::chat
