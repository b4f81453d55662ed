#include "server/responses.h"

#include <chrono>

namespace minerva {

using json = nlohmann::json;

int64_t unix_time() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

const char* finish_reason_name(FinishReason r) { return r == FinishReason::Length ? "length" : "stop"; }

namespace {
json base(const ResponseContext& rc, bool chunk) {
  const char* object = rc.chat ? (chunk ? "chat.completion.chunk" : "chat.completion") : "text_completion";
  return {{"id", rc.id}, {"object", object}, {"created", rc.created}, {"model", rc.model}};
}

json choice(const ResponseContext& rc, const json& content, const json& finish, bool chunk) {
  json c = {{"index", 0}};
  if (rc.chat) {
    c[chunk ? "delta" : "message"] = content;
  } else {
    c["text"] = content;
  }
  c["logprobs"] = nullptr;
  c["finish_reason"] = finish;
  return c;
}
}  // namespace

json usage_json(const GenerationUsage& u) {
  return {{"prompt_tokens", u.prompt_tokens},
          {"completion_tokens", u.completion_tokens},
          {"total_tokens", u.prompt_tokens + u.completion_tokens}};
}

json timings_json(const GenerationUsage& u) {
  const auto rate = [](int64_t n, double ms) { return ms > 0 ? 1000.0 * static_cast<double>(n) / ms : 0.0; };
  const int64_t prompt_n = u.prompt_tokens - u.cached_tokens;
  return {{"prompt_n", prompt_n},
          {"cache_n", u.cached_tokens},
          {"prompt_ms", u.prompt_ms},
          {"prompt_per_second", rate(prompt_n, u.prompt_ms)},
          {"predicted_n", u.completion_tokens},
          {"predicted_ms", u.generation_ms},
          {"predicted_per_second", rate(u.completion_tokens, u.generation_ms)}};
}

json completion_response(const ResponseContext& rc, const std::string& text, FinishReason finish,
                         const GenerationUsage& usage) {
  json r = base(rc, false);
  const json content = rc.chat ? json{{"role", "assistant"}, {"content", text}} : json(text);
  r["choices"] = json::array({choice(rc, content, finish_reason_name(finish), false)});
  r["usage"] = usage_json(usage);
  r["timings"] = timings_json(usage);
  return r;
}

json chat_role_chunk(const ResponseContext& rc) {
  json r = base(rc, true);
  r["choices"] = json::array({choice(rc, {{"role", "assistant"}, {"content", ""}}, nullptr, true)});
  return r;
}

json delta_chunk(const ResponseContext& rc, const std::string& text) {
  json r = base(rc, true);
  r["choices"] = json::array({choice(rc, rc.chat ? json{{"content", text}} : json(text), nullptr, true)});
  return r;
}

json finish_chunk(const ResponseContext& rc, FinishReason finish) {
  json r = base(rc, true);
  r["choices"] = json::array({choice(rc, rc.chat ? json::object() : json(""), finish_reason_name(finish), true)});
  return r;
}

json usage_chunk(const ResponseContext& rc, const GenerationUsage& usage) {
  json r = base(rc, true);
  r["choices"] = json::array();
  r["usage"] = usage_json(usage);
  r["timings"] = timings_json(usage);
  return r;
}

std::variant<TokenizeRequest, ApiError> parse_tokenize_request(const json& body) {
  TokenizeRequest r;
  auto it = body.find("content");
  if (it == body.end() || !it->is_string()) return bad_request("'content' must be a string", "content");
  r.content = it->get<std::string>();
  for (auto [field, out] : {std::pair{"add_special", &r.add_special}, std::pair{"parse_special", &r.parse_special},
                            std::pair{"with_pieces", &r.with_pieces}}) {
    auto f = body.find(field);
    if (f == body.end() || f->is_null()) continue;
    if (!f->is_boolean()) return bad_request(std::string("'") + field + "' must be a boolean", field);
    *out = f->get<bool>();
  }
  return r;
}

json tokenize_response(const Tokenizer& tok, const TokenizeRequest& req) {
  const std::vector<Token> ids = tok.encode(req.content, TokenizeOptions{req.add_special, req.parse_special});
  json tokens = json::array();
  for (Token t : ids) {
    if (!req.with_pieces) {
      tokens.push_back(t);
      continue;
    }
    const std::string piece = tok.token_to_piece(t, true);
    json p = {{"id", t}};
    // A piece that is not valid UTF-8 on its own (part of a character) is sent as its bytes.
    try {
      (void)json(piece).dump();  // throws on invalid UTF-8
      p["piece"] = piece;
    } catch (const json::exception&) {
      p["piece"] = json::array();
      for (unsigned char c : piece) p["piece"].push_back(c);
    }
    tokens.push_back(p);
  }
  return {{"tokens", tokens}};
}

std::variant<json, ApiError> detokenize_response(const Tokenizer& tok, const json& body) {
  auto it = body.find("tokens");
  if (it == body.end() || !it->is_array()) return bad_request("'tokens' must be an array of token ids", "tokens");
  std::vector<Token> ids;
  for (const json& t : *it) {
    if (!t.is_number_integer() || t.get<int64_t>() < 0 ||
        t.get<int64_t>() >= static_cast<int64_t>(tok.vocab().size())) {
      return bad_request("'tokens' must contain token ids below " + std::to_string(tok.vocab().size()), "tokens");
    }
    ids.push_back(static_cast<Token>(t.get<int64_t>()));
  }
  return json{{"content", tok.decode(ids)}};
}

}  // namespace minerva
