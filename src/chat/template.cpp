// Template: parse and render entry points, and apply_chat_template.
#include "chat/template.h"

#include "chat/interp.h"

namespace minerva::chat {

struct Template::Impl {
  Body body;
};

Result<Template> Template::parse(std::string_view source) {
  MINERVA_TRY(std::vector<Token> tokens, tokenize(source));
  MINERVA_TRY(Body body, parse_tokens(tokens));
  auto impl = std::make_shared<Impl>();
  impl->body = std::move(body);
  Template t;
  t.impl_ = std::move(impl);
  return t;
}

Result<std::string> Template::render(const nlohmann::ordered_json& context, const RenderOptions& options) const {
  if (!impl_) return make_error("render: template was not parsed");
  if (!context.is_object() && !context.is_null()) return make_error("render: context must be a JSON object");
  Interp in(options);
  in.push_scope(-1);
  install_globals(in);
  if (context.is_object()) {
    for (const auto& [key, value] : context.items()) {
      MINERVA_TRY(Value v, from_json(value));
      in.scopes[0].vars[key] = std::move(v);
    }
  }
  in.push_scope(0);
  std::string out;
  in.out = &out;
  MINERVA_TRY(Flow flow, in.exec_body(impl_->body));
  (void)flow;
  return out;
}

Result<std::string> apply_chat_template(const Template& tmpl, const ChatTemplateInputs& inputs,
                                        const RenderOptions& options) {
  nlohmann::ordered_json ctx = nlohmann::ordered_json::object();
  ctx["messages"] = inputs.messages;
  ctx["tools"] = inputs.tools;
  ctx["documents"] = nullptr;
  ctx["add_generation_prompt"] = inputs.add_generation_prompt;
  if (inputs.bos_token) ctx["bos_token"] = *inputs.bos_token;
  if (inputs.eos_token) ctx["eos_token"] = *inputs.eos_token;
  if (inputs.extra.is_object()) {
    for (const auto& [key, value] : inputs.extra.items()) ctx[key] = value;
  }
  return tmpl.render(ctx, options);
}

}  // namespace minerva::chat
