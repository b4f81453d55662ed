#include "backend/chat_prompt.h"

#include <cstdio>
#include <fstream>
#include <sstream>

#include "chat/builtin_templates.h"

namespace minerva {

const char* const kChatMlTemplate =
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + "
    "'\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

Result<ChatFormatter> ChatFormatter::create(const std::string& source, std::string origin,
                                            std::optional<std::string> bos, std::optional<std::string> eos) {
  auto parsed = chat::Template::parse(source);
  if (!parsed) return parsed.error().with_context("chat template from " + origin);
  ChatFormatter f;
  f.tmpl_ = std::move(parsed.value());
  f.origin_ = std::move(origin);
  f.bos_ = std::move(bos);
  f.eos_ = std::move(eos);
  return f;
}

Result<std::string> ChatFormatter::render(const nlohmann::ordered_json& messages, const nlohmann::ordered_json& tools,
                                          bool add_generation_prompt, const nlohmann::ordered_json& kwargs) const {
  chat::ChatTemplateInputs in;
  in.messages = messages;
  in.tools = tools;
  in.add_generation_prompt = add_generation_prompt;
  in.bos_token = bos_;
  in.eos_token = eos_;
  in.extra = kwargs.is_object() ? kwargs : nlohmann::ordered_json::object();
  return chat::apply_chat_template(tmpl_, in);
}

namespace {
std::optional<std::string> token_text(const Vocab& vocab, Token t) {
  if (!vocab.valid(t)) return std::nullopt;
  return std::string(vocab.text(t));
}
}  // namespace

Result<ChatFormatter> resolve_chat_template(const std::string& option, const GgufFile& file, const Vocab& vocab) {
  const auto bos = token_text(vocab, vocab.bos());
  const auto eos = token_text(vocab, vocab.eos());
  if (const char* builtin = chat::builtin_template(option); builtin != nullptr)
    return ChatFormatter::create(builtin, "built-in " + option, bos, eos);
  if (!option.empty()) {
    std::ifstream in(option, std::ios::binary);
    if (!in)
      return make_error("--chat-template: '" + option + "' is neither a built-in name (" +
                        chat::builtin_template_list() + ") nor a readable file");
    std::ostringstream ss;
    ss << in.rdbuf();
    return ChatFormatter::create(ss.str(), option, bos, eos);
  }
  if (const GgufValue* v = file.find("tokenizer.chat_template"); v != nullptr && v->type == GgufValueType::STRING) {
    auto f = ChatFormatter::create(std::string(v->str), "the model (tokenizer.chat_template)", bos, eos);
    if (f) return f;
    std::fprintf(stderr, "warning: %s; using ChatML instead\n", f.error().message.c_str());
  }
  return ChatFormatter::create(kChatMlTemplate, "built-in chatml (the model has no template)", bos, eos);
}

}  // namespace minerva
