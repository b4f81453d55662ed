#include "server/request.h"

#include <cmath>
#include <cstdlib>
#include <limits>

namespace minerva {

namespace {

constexpr int kMaxJsonDepth = 64;

using json = nlohmann::ordered_json;

std::string type_name(const json& v) { return v.type_name(); }

ApiError wrong_type(const std::string& field, const char* expected, const json& v) {
  return bad_request("'" + field + "' must be " + expected + ", got " + type_name(v), field);
}

// Reads an optional number field into `out`; null counts as absent.
std::optional<ApiError> get_number(const json& body, const char* field, float& out) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_number()) return wrong_type(field, "a number", *it);
  const double v = it->get<double>();
  if (!std::isfinite(v)) return bad_request(std::string("'") + field + "' must be finite", field);
  out = static_cast<float>(v);
  return std::nullopt;
}

template <typename Int>
std::optional<ApiError> get_integer(const json& body, const char* field, Int& out) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_number_integer()) return wrong_type(field, "an integer", *it);
  if (it->is_number_unsigned()) {
    const auto v = it->get<uint64_t>();
    if (v > static_cast<uint64_t>(std::numeric_limits<Int>::max())) {
      return bad_request(std::string("'") + field + "' is too large", field);
    }
    out = static_cast<Int>(v);
    return std::nullopt;
  }
  const auto v = it->get<int64_t>();
  if (v < static_cast<int64_t>(std::numeric_limits<Int>::min()) ||
      v > static_cast<int64_t>(std::numeric_limits<Int>::max())) {
    return bad_request(std::string("'") + field + "' is out of range", field);
  }
  out = static_cast<Int>(v);
  return std::nullopt;
}

std::optional<ApiError> get_bool(const json& body, const char* field, bool& out) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_boolean()) return wrong_type(field, "a boolean", *it);
  out = it->get<bool>();
  return std::nullopt;
}

// "content": a string, or an array of parts {"type": "text", "text": ...}.
std::optional<ApiError> flatten_content(const json& content, const std::string& field, std::string& out) {
  if (content.is_null()) return std::nullopt;
  if (content.is_string()) {
    out = content.get<std::string>();
    return std::nullopt;
  }
  if (!content.is_array()) return wrong_type(field, "a string or an array of content parts", content);
  for (size_t i = 0; i < content.size(); ++i) {
    const json& part = content[i];
    const std::string pf = field + "[" + std::to_string(i) + "]";
    if (!part.is_object()) return wrong_type(pf, "an object", part);
    auto type = part.find("type");
    if (type == part.end() || !type->is_string())
      return bad_request("'" + pf + ".type' must be a string", pf + ".type");
    if (*type != "text") {
      return bad_request("content part type '" + type->get<std::string>() + "' is not supported (only 'text')",
                         pf + ".type");
    }
    auto text = part.find("text");
    if (text == part.end() || !text->is_string())
      return bad_request("'" + pf + ".text' must be a string", pf + ".text");
    out += text->get<std::string>();
  }
  return std::nullopt;
}

std::optional<ApiError> parse_messages(const json& body, CompletionRequest& r) {
  auto it = body.find("messages");
  if (it == body.end()) return bad_request("'messages' is required", "messages");
  if (!it->is_array()) return wrong_type("messages", "an array", *it);
  if (it->empty()) return bad_request("'messages' must not be empty", "messages");
  r.messages = json::array();
  for (size_t i = 0; i < it->size(); ++i) {
    const json& m = (*it)[i];
    const std::string f = "messages[" + std::to_string(i) + "]";
    if (!m.is_object()) return wrong_type(f, "an object", m);
    auto role = m.find("role");
    if (role == m.end() || !role->is_string()) return bad_request("'" + f + ".role' must be a string", f + ".role");
    json msg = m;
    if (auto c = m.find("content"); c != m.end() && !c->is_null()) {
      std::string text;
      if (auto err = flatten_content(*c, f + ".content", text)) return err;
      msg["content"] = text;
    }
    r.messages.push_back(std::move(msg));
  }
  if (auto t = body.find("tools"); t != body.end() && !t->is_null()) {
    if (!t->is_array()) return wrong_type("tools", "an array", *t);
    r.tools = *t;
  }
  if (auto k = body.find("chat_template_kwargs"); k != body.end() && !k->is_null()) {
    if (!k->is_object()) return wrong_type("chat_template_kwargs", "an object", *k);
    r.template_kwargs = *k;
  }
  return std::nullopt;
}

std::optional<ApiError> parse_prompt(const json& body, CompletionRequest& r) {
  auto it = body.find("prompt");
  if (it == body.end()) return bad_request("'prompt' is required", "prompt");
  if (it->is_string()) {
    r.prompt_text = it->get<std::string>();
    return std::nullopt;
  }
  if (it->is_array() && !it->empty() && (*it)[0].is_string()) {
    if (it->size() != 1) return bad_request("only one prompt per request is supported", "prompt");
    r.prompt_text = (*it)[0].get<std::string>();
    return std::nullopt;
  }
  if (it->is_array()) {
    r.prompt_is_tokens = true;
    for (size_t i = 0; i < it->size(); ++i) {
      const json& t = (*it)[i];
      if (!t.is_number_integer() || t.get<int64_t>() < 0 || t.get<int64_t>() > std::numeric_limits<Token>::max()) {
        return bad_request("'prompt[" + std::to_string(i) + "]' must be a token id", "prompt");
      }
      r.prompt_tokens.push_back(static_cast<Token>(t.get<int64_t>()));
    }
    if (r.prompt_tokens.empty()) return bad_request("'prompt' must not be empty", "prompt");
    return std::nullopt;
  }
  return wrong_type("prompt", "a string or an array of token ids", *it);
}

std::optional<ApiError> parse_stop(const json& body, CompletionRequest& r) {
  auto it = body.find("stop");
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (it->is_string()) {
    r.stop.push_back(it->get<std::string>());
    return std::nullopt;
  }
  if (!it->is_array()) return wrong_type("stop", "a string or an array of strings", *it);
  for (const json& s : *it) {
    if (!s.is_string()) return bad_request("'stop' must contain only strings", "stop");
    r.stop.push_back(s.get<std::string>());
  }
  return std::nullopt;
}

std::optional<ApiError> parse_logprobs(const json& body, CompletionRequest& r) {
  if (r.chat) {
    bool on = false;
    if (auto e = get_bool(body, "logprobs", on)) return e;
    int32_t top = 0;
    if (auto e = get_integer(body, "top_logprobs", top)) return e;
    if (top < 0 || top > 20) return bad_request("'top_logprobs' must be between 0 and 20", "top_logprobs");
    if (top > 0 && !on) return bad_request("'top_logprobs' needs 'logprobs': true", "top_logprobs");
    r.logprobs = on ? top : -1;
    return std::nullopt;
  }
  int32_t n = -1;
  if (auto e = get_integer(body, "logprobs", n)) return e;
  if (n > 5 || n < -1) return bad_request("'logprobs' must be between 0 and 5", "logprobs");
  r.logprobs = n;
  return std::nullopt;
}

// {"50256": -100, ...}: token id (as a string) -> bias in [-100, 100].
std::optional<ApiError> parse_logit_bias(const json& body, CompletionRequest& r) {
  auto it = body.find("logit_bias");
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_object()) return wrong_type("logit_bias", "an object", *it);
  for (auto& [key, value] : it->items()) {
    char* end = nullptr;
    const long long id = std::strtoll(key.c_str(), &end, 10);
    if (key.empty() || end == nullptr || *end != '\0' || id < 0 || id > std::numeric_limits<Token>::max()) {
      return bad_request("'logit_bias' keys must be token ids, got '" + key + "'", "logit_bias");
    }
    if (!value.is_number() || value.get<double>() < -100.0 || value.get<double>() > 100.0) {
      return bad_request("'logit_bias' values must be numbers between -100 and 100", "logit_bias");
    }
    r.logit_bias.emplace_back(static_cast<Token>(id), value.get<float>());
  }
  return std::nullopt;
}

}  // namespace

std::variant<json, ApiError> parse_json_body(const std::string& body) {
  int depth = 0;
  int max_depth = 0;
  json parsed;
  try {
    parsed = json::parse(body, [&](int d, json::parse_event_t, json&) {
      depth = d;
      max_depth = std::max(max_depth, depth);
      return max_depth <= kMaxJsonDepth;  // deeper structures are dropped, then rejected below
    });
  } catch (const json::exception& e) {
    std::string what = e.what();
    if (what.find("invalid UTF-8") != std::string::npos || what.find("UTF-8") != std::string::npos) {
      return bad_request("the request body is not valid UTF-8: " + what);
    }
    return bad_request("the request body is not valid JSON: " + what);
  }
  if (max_depth > kMaxJsonDepth) {
    return bad_request("the request body is nested more than " + std::to_string(kMaxJsonDepth) + " levels deep");
  }
  if (!parsed.is_object()) return bad_request("the request body must be a JSON object, got " + type_name(parsed));
  return parsed;
}

std::variant<CompletionRequest, ApiError> parse_completion_request(const json& body, bool chat) {
  CompletionRequest r;
  r.chat = chat;
  // llama-server's sampling defaults, which suit local models better than OpenAI's.
  r.sampling.temperature = 0.8f;
  if (auto it = body.find("model"); it != body.end() && !it->is_null()) {
    if (!it->is_string()) return wrong_type("model", "a string", *it);
    r.model = it->get<std::string>();
  }
  if (chat) {
    if (auto e = parse_messages(body, r)) return *e;
  } else {
    if (auto e = parse_prompt(body, r)) return *e;
  }
  SamplingParams& s = r.sampling;
  for (auto e : {get_number(body, "temperature", s.temperature), get_number(body, "top_p", s.top_p),
                 get_number(body, "min_p", s.min_p), get_number(body, "presence_penalty", s.presence_penalty),
                 get_number(body, "frequency_penalty", s.frequency_penalty),
                 get_number(body, "repeat_penalty", s.repeat_penalty)}) {
    if (e) return *e;
  }
  if (auto e = get_integer(body, "top_k", s.top_k)) return *e;
  if (auto e = get_integer(body, "repeat_last_n", s.repeat_last_n)) return *e;
  int64_t seed = -1;
  if (auto e = get_integer(body, "seed", seed)) return *e;
  s.seed = seed < 0 ? kRandomSeed : static_cast<uint64_t>(seed);  // -1 (llama.cpp): random
  if (auto e = get_integer(body, "max_tokens", r.max_tokens)) return *e;
  if (auto e = get_integer(body, "max_completion_tokens", r.max_tokens)) return *e;
  if (r.max_tokens < -1) return bad_request("'max_tokens' must be >= 0", "max_tokens");
  if (auto e = parse_stop(body, r)) return *e;
  if (auto e = parse_logprobs(body, r)) return *e;
  if (auto e = parse_logit_bias(body, r)) return *e;
  if (auto e = get_bool(body, "stream", r.stream)) return *e;
  if (auto e = get_bool(body, "ignore_eos", r.ignore_eos)) return *e;
  if (auto it = body.find("stream_options"); it != body.end() && !it->is_null()) {
    if (!it->is_object()) return wrong_type("stream_options", "an object", *it);
    if (auto e = get_bool(*it, "include_usage", r.include_usage)) {
      e->param = "stream_options.include_usage";
      return *e;
    }
  }
  int64_t n = 1;
  if (auto e = get_integer(body, "n", n)) return *e;
  if (n != 1) return bad_request("'n' must be 1 (one choice per request is supported)", "n");
  if (auto it = body.find("backend"); it != body.end() && !it->is_null()) {
    if (!it->is_string()) return wrong_type("backend", "a string", *it);
    r.backend = it->get<std::string>();
    if (r.backend != "auto" && r.backend != "native" && r.backend != "llama_cpp" && r.backend != "mlx" &&
        r.backend != "fallback") {
      return bad_request("unknown backend '" + r.backend + "' (expected auto, native, llama_cpp, mlx or fallback)",
                         "backend");
    }
  }
  if (auto e = parse_structured_output(body, chat, r.structured)) return *e;
  if (Status st = validate(s); !st) return bad_request(st.error().message);
  return r;
}

}  // namespace minerva
