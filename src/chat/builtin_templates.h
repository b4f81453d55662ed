// Built-in chat templates, by name, for models that ship without one (or to override theirs):
// --chat-template NAME on `minerva serve` and `minerva run`.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace minerva::chat {

// The Jinja source of the built-in template `name` (chatml, llama2, llama3, mistral, gemma,
// phi3, qwen), or nullptr when there is none by that name.
const char* builtin_template(std::string_view name);

// All built-in names, in a fixed order.
const std::vector<std::string>& builtin_template_names();

// "chatml, llama2, ..." for messages.
std::string builtin_template_list();

}  // namespace minerva::chat
