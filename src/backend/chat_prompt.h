#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "chat/template.h"
#include "formats/gguf.h"
#include "tokenizer/tokenizer.h"

namespace minerva {

// Turns chat messages into the prompt text a model was trained on, with its Jinja chat
// template. Immutable after creation; safe to share between request threads.
class ChatFormatter {
 public:
  // `origin` says where the template came from, for logs and errors.
  static Result<ChatFormatter> create(const std::string& source, std::string origin, std::optional<std::string> bos,
                                      std::optional<std::string> eos);

  // messages: [{"role", "content", ...}]; tools: null or an array; kwargs: extra template
  // variables (chat_template_kwargs). Errors carry the template's own message
  // (e.g. raise_exception("System role not supported")).
  Result<std::string> render(const nlohmann::ordered_json& messages, const nlohmann::ordered_json& tools,
                             bool add_generation_prompt, const nlohmann::ordered_json& kwargs) const;

  const std::string& origin() const { return origin_; }

 private:
  chat::Template tmpl_;
  std::string origin_;
  std::optional<std::string> bos_, eos_;
};

// The ChatML template, used for models without one of their own.
extern const char* const kChatMlTemplate;

// Picks the template for a model: `option` is --chat-template (empty: the GGUF's
// tokenizer.chat_template, else ChatML; a built-in name such as "chatml" or "llama3"; anything
// else: a file to read).
// A GGUF template that does not parse falls back to ChatML with a warning on stderr; an
// explicit option that fails is an error.
Result<ChatFormatter> resolve_chat_template(const std::string& option, const GgufFile& file, const Vocab& vocab);

}  // namespace minerva
