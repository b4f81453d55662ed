#include "server/tool_calls.h"

#include <random>

namespace minerva {
namespace {

using json = nlohmann::json;

constexpr char kHead[] = "{\"name\":";
constexpr char kArgs[] = ",\"arguments\":";

std::string call_id() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char* alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::string id = "call_";
  for (int i = 0; i < 24; ++i) id += alphabet[rng() % 62];
  return id;
}

size_t skip_blank(const std::string& s) {
  size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\n')) ++i;
  return i;
}

// Where the arguments start and the function name, once the whole header is in `s` (names are
// plain [A-Za-z0-9_-], so the quoted name has no escapes).
std::optional<std::pair<size_t, std::string>> header(const std::string& s) {
  const size_t start = skip_blank(s);
  if (s.compare(start, sizeof kHead - 1, kHead) != 0) return std::nullopt;
  const size_t q1 = start + sizeof kHead - 1;
  if (q1 >= s.size() || s[q1] != '"') return std::nullopt;
  const size_t q2 = s.find('"', q1 + 1);
  if (q2 == std::string::npos) return std::nullopt;
  if (s.compare(q2 + 1, sizeof kArgs - 1, kArgs) != 0) return std::nullopt;
  return std::make_pair(q2 + 1 + sizeof kArgs - 1, s.substr(q1 + 1, q2 - q1 - 1));
}

json call_json(const std::string& id, const std::string& name, const std::string& args) {
  return {{"id", id}, {"type", "function"}, {"function", {{"name", name}, {"arguments", args}}}};
}

}  // namespace

std::optional<ToolCall> parse_tool_call(const std::string& text) {
  auto h = header(text);
  if (!h) return std::nullopt;
  const size_t end = text.find_last_of('}');
  if (end == std::string::npos || end < h->first) return std::nullopt;
  return ToolCall{h->second, text.substr(h->first, end - h->first)};
}

void apply_tool_calls(json& response, const std::string& text) {
  auto call = parse_tool_call(text);
  if (!call) return;
  json& choice = response["choices"][0];
  choice["message"]["content"] = nullptr;
  choice["message"]["tool_calls"] = json::array({call_json(call_id(), call->name, call->arguments)});
  if (choice["finish_reason"] == "stop") choice["finish_reason"] = "tool_calls";
}

json ToolCallStream::args_chunk(const std::string& args) const {
  json c = delta_chunk(rc_, "");
  c["choices"][0]["delta"] = {{"tool_calls", json::array({{{"index", 0}, {"function", {{"arguments", args}}}}})}};
  return c;
}

std::vector<json> ToolCallStream::drain(bool at_end) {
  std::vector<json> out;
  if (mode_ == Mode::Undecided) {
    const size_t i = skip_blank(buf_);
    if (i == buf_.size() && !at_end) return out;
    mode_ = i < buf_.size() && buf_[i] == '{' ? Mode::Call : Mode::Text;
  }
  if (mode_ == Mode::Text) {
    if (!buf_.empty()) out.push_back(delta_chunk(rc_, buf_));
    buf_.clear();
    return out;
  }
  if (!header_sent_) {
    auto h = header(buf_);
    if (!h) return out;
    id_ = call_id();
    json c = delta_chunk(rc_, "");
    json call = call_json(id_, h->second, "");
    call["index"] = 0;
    c["choices"][0]["delta"] = {{"tool_calls", json::array({call})}};
    out.push_back(std::move(c));
    buf_.erase(0, h->first);
    header_sent_ = true;
  }
  // The call's closing '}' is not part of the arguments: hold back one byte until the end.
  if (at_end) {
    const size_t end = buf_.find_last_of('}');
    buf_.resize(end == std::string::npos ? 0 : end);
    if (!buf_.empty()) out.push_back(args_chunk(buf_));
    buf_.clear();
  } else if (buf_.size() > 1) {
    size_t cut = buf_.size() - 1;  // keep whole characters together
    while (cut > 0 && (static_cast<unsigned char>(buf_[cut]) & 0xC0) == 0x80) --cut;
    if (cut > 0) {
      out.push_back(args_chunk(buf_.substr(0, cut)));
      buf_.erase(0, cut);
    }
  }
  return out;
}

std::vector<json> ToolCallStream::push(const std::string& text) {
  buf_ += text;
  return drain(false);
}

std::vector<json> ToolCallStream::finish(json& finish_chunk) {
  auto out = drain(true);
  if (header_sent_ && finish_chunk["choices"][0]["finish_reason"] == "stop") {
    finish_chunk["choices"][0]["finish_reason"] = "tool_calls";
  }
  return out;
}

}  // namespace minerva
