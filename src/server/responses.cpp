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

json choice(const ResponseContext& rc, const json& content, const json& finish, bool chunk,
            const json& logprobs = nullptr) {
  json c = {{"index", 0}};
  if (rc.chat) {
    c[chunk ? "delta" : "message"] = content;
  } else {
    c["text"] = content;
  }
  c["logprobs"] = logprobs;
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
          {"predicted_per_second", rate(u.completion_tokens, u.generation_ms)},
          {"grammar_ms", u.grammar_ms}};
}

json completion_response(const ResponseContext& rc, const std::string& text, FinishReason finish,
                         const GenerationUsage& usage, const json& logprobs) {
  json r = base(rc, false);
  const json content = rc.chat ? json{{"role", "assistant"}, {"content", text}} : json(text);
  r["choices"] = json::array({choice(rc, content, finish_reason_name(finish), false, logprobs)});
  r["usage"] = usage_json(usage);
  r["timings"] = timings_json(usage);
  return r;
}

json chat_role_chunk(const ResponseContext& rc) {
  json r = base(rc, true);
  r["choices"] = json::array({choice(rc, {{"role", "assistant"}, {"content", ""}}, nullptr, true)});
  return r;
}

json delta_chunk(const ResponseContext& rc, const std::string& text, const json& logprobs) {
  json r = base(rc, true);
  r["choices"] = json::array({choice(rc, rc.chat ? json{{"content", text}} : json(text), nullptr, true, logprobs)});
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

namespace {
json bytes_of(const std::string& s) {
  json b = json::array();
  for (unsigned char c : s) b.push_back(c);
  return b;
}
}  // namespace

json logprobs_json(const Tokenizer& tok, bool chat, std::span<const TokenLogprob> entries, int64_t* text_offset) {
  // Pieces can be part of a UTF-8 character; `bytes` carries them exactly, `token` is made
  // printable when the response is serialised (invalid bytes become U+FFFD).
  if (chat) {
    json content = json::array();
    for (const auto& e : entries) {
      const std::string piece = tok.token_to_piece(e.token, true);
      json top = json::array();
      for (auto [id, lp] : e.top) {
        const std::string p = tok.token_to_piece(id, true);
        top.push_back({{"token", p}, {"logprob", lp}, {"bytes", bytes_of(p)}});
      }
      content.push_back({{"token", piece}, {"logprob", e.logprob}, {"bytes", bytes_of(piece)}, {"top_logprobs", top}});
    }
    return {{"content", content}};
  }
  json tokens = json::array(), token_logprobs = json::array(), top_logprobs = json::array(), offsets = json::array();
  for (const auto& e : entries) {
    const std::string piece = tok.token_to_piece(e.token, true);
    tokens.push_back(piece);
    token_logprobs.push_back(e.logprob);
    json top = json::object();
    for (auto [id, lp] : e.top) top[tok.token_to_piece(id, true)] = lp;
    top_logprobs.push_back(top);
    offsets.push_back(*text_offset);
    *text_offset += static_cast<int64_t>(piece.size());
  }
  return {
      {"tokens", tokens}, {"token_logprobs", token_logprobs}, {"top_logprobs", top_logprobs}, {"text_offset", offsets}};
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
