// libFuzzer target for the chat-template parser and renderer: the input is a template
// source; whatever parses is rendered with a small conversation and tight limits.
// Any crash, sanitizer report or hang is a bug; errors are fine.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "chat/template.h"

namespace {

const nlohmann::ordered_json& messages() {
  static const nlohmann::ordered_json m = nlohmann::ordered_json::parse(R"([
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": [{"type": "text", "text": "Hi {{ x }}"}]},
    {"role": "assistant", "content": null, "tool_calls": [{"id": "abc123XYZ", "type": "function",
      "function": {"name": "f", "arguments": {"a": 1, "b": [true, null, 2.5]}}}]},
    {"role": "tool", "content": "42"},
    {"role": "user", "content": "\u00e9\u4e2d"}
  ])");
  return m;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view source(reinterpret_cast<const char*>(data), size);
  auto tmpl = minerva::chat::Template::parse(source);
  if (!tmpl) return 0;
  minerva::chat::ChatTemplateInputs in;
  in.messages = messages();
  in.tools = nlohmann::ordered_json::array({{{"type", "function"}, {"function", {{"name", "f"}}}}});
  in.add_generation_prompt = true;
  in.bos_token = "<s>";
  in.eos_token = "</s>";
  minerva::chat::RenderOptions opts;
  opts.now = std::tm{};
  opts.max_output_bytes = size_t{1} << 16;
  opts.max_loop_iterations = 10'000;
  opts.max_call_depth = 20;
  (void)minerva::chat::apply_chat_template(*tmpl, in, opts);
  return 0;
}
