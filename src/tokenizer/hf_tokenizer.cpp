// tokenizer.json + tokenizer_config.json -> hf::Pipeline and a Vocab; the encode pipeline (added tokens,
// normalizer, pre-tokenizer, model, post-processor) and per-token decoding.
#include <algorithm>

#include "tokenizer/hf.h"
#include "tokenizer/vocab_data.h"

namespace minerva::hf {

// ---- Added tokens -------------------------------------------------------------------------------------------

int32_t AddedMatcher::child(int32_t node, uint8_t b) const {
  const auto it = children_.find((static_cast<uint64_t>(node) << 8) | b);
  return it == children_.end() ? -1 : it->second;
}

void AddedMatcher::add(std::string_view text, size_t index) {
  if (text.empty()) return;
  int32_t node = 0;
  for (char c : text) {
    const auto b = static_cast<uint8_t>(c);
    int32_t next = child(node, b);
    if (next < 0) {
      next = static_cast<int32_t>(terminal_.size());
      terminal_.push_back(-1);
      children_.emplace((static_cast<uint64_t>(node) << 8) | b, next);
    }
    node = next;
  }
  terminal_[static_cast<size_t>(node)] = static_cast<int32_t>(index);  // a later duplicate text wins
  first_[static_cast<uint8_t>(text[0])] = true;
}

namespace {

// Start of the whitespace run that ends s (Rust: space_leftmost_at_end); s.size() when s ends otherwise.
size_t whitespace_run_start(std::string_view s) {
  size_t start = s.size();
  for (size_t i = 0; i < s.size();) {
    const size_t at = i;
    if (!is_whitespace(next_cp(s, i))) {
      start = s.size();
    } else if (start == s.size()) {
      start = at;
    }
  }
  return start;
}

size_t whitespace_run_len(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    size_t j = i;
    if (!is_whitespace(next_cp(s, j))) break;
    i = j;
  }
  return i;
}

bool ends_with_word_char(std::string_view s) {
  if (s.empty()) return false;
  size_t start = s.size() - 1;
  while (start > 0 && (static_cast<uint8_t>(s[start]) & 0xC0) == 0x80) --start;
  size_t i = start;
  return is_alphanumeric(next_cp(s, i));
}

bool starts_with_word_char(std::string_view s) {
  size_t i = 0;
  return !s.empty() && is_alphanumeric(next_cp(s, i));
}

}  // namespace

void AddedMatcher::split(std::string_view s, bool skip_special, std::vector<Segment>& out) const {
  size_t offset = 0;  // end of the last accepted token (with its stripped whitespace)
  size_t i = 0;
  while (i < s.size()) {
    if (!first_[static_cast<uint8_t>(s[i])]) {
      ++i;
      continue;
    }
    int32_t node = 0, best = -1;
    size_t best_len = 0;
    for (size_t k = i; k < s.size(); ++k) {
      node = child(node, static_cast<uint8_t>(s[k]));
      if (node < 0) break;
      if (terminal_[static_cast<size_t>(node)] >= 0) {
        best = terminal_[static_cast<size_t>(node)];
        best_len = k + 1 - i;
      }
    }
    if (best < 0) {
      ++i;
      continue;
    }
    const AddedToken& tok = (*tokens_)[static_cast<size_t>(best)];
    size_t start = i, stop = i + best_len;
    i = stop;  // the matcher continues after this match whether or not it is accepted
    if (start < offset || (skip_special && tok.special)) continue;
    if (tok.single_word && (ends_with_word_char(s.substr(0, start)) || starts_with_word_char(s.substr(stop)))) {
      continue;
    }
    if (tok.lstrip) start = std::max(whitespace_run_start(s.substr(0, start)), offset);
    if (tok.rstrip) stop += whitespace_run_len(s.substr(stop));
    if (start > offset) out.push_back({offset, start, -1});
    out.push_back({start, stop, tok.id});
    offset = stop;
    i = std::max(i, stop);
  }
  if (offset < s.size()) out.push_back({offset, s.size(), -1});
}

// ---- Encode / decode ------------------------------------------------------------------------------------------

void Pipeline::encode(std::string_view input, bool add_special, bool parse_special, std::vector<Token>& out) const {
  const std::string text = sanitize_utf8(input);
  std::vector<AddedMatcher::Segment> raw, norm;
  std::vector<Piece> pieces;
  raw_matcher.split(text, !parse_special, raw);
  for (const auto& seg : raw) {
    if (seg.token >= 0) {
      out.push_back(seg.token);
      continue;
    }
    std::string s = text.substr(seg.begin, seg.end - seg.begin);
    if (normalizer) normalizer(s);
    norm.clear();
    normalized_matcher.split(s, !parse_special, norm);
    for (const auto& n : norm) {
      if (n.token >= 0) {
        out.push_back(n.token);
        continue;
      }
      pieces.clear();
      pieces.push_back({s.substr(n.begin, n.end - n.begin), seg.begin == 0 && n.begin == 0});
      if (pre_tokenizer) pre_tokenizer(pieces);
      for (const Piece& p : pieces) model->encode(p.text, out);
    }
  }
  if (add_special && post_processor) post_processor(out);
}

std::string Pipeline::piece(Token t, bool first) const {
  if (t < 0 || static_cast<size_t>(t) >= texts.size()) return {};
  if (is_added[static_cast<size_t>(t)] != 0) return texts[static_cast<size_t>(t)];  // verbatim, as transformers
  std::vector<std::string> list{texts[static_cast<size_t>(t)]};
  if (decoder) {
    DecodeState st{first, /*raw=*/true, false};
    decoder(list, st);
  } else if (!first) {
    list[0].insert(0, 1, ' ');  // no decoder: tokens joined with spaces
  }
  std::string out;
  for (const std::string& s : list) out += s;
  return out;
}

// ---- Loading ------------------------------------------------------------------------------------------------

namespace {

Result<std::vector<AddedToken>> read_added(const json& root) {
  std::vector<AddedToken> added;
  const json* list = find(root, "added_tokens");
  if (list == nullptr) return added;
  if (!list->is_array()) return field_error("added_tokens", "is " + type_name(*list) + ", expected an array");
  for (size_t i = 0; i < list->size(); ++i) {
    const json& e = (*list)[i];
    const std::string at = "added_tokens[" + std::to_string(i) + "]";
    AddedToken a;
    MINERVA_TRY(const int64_t id, get_int_or(e, "id", at, -1));
    if (find(e, "id") == nullptr) return field_error(join_path(at, "id"), "is missing");
    if (id < 0 || id >= kMaxId) {
      return field_error(join_path(at, "id"), "is " + std::to_string(id) + ", outside the token id range [0, " +
                                                  std::to_string(kMaxId) + ")");
    }
    a.id = static_cast<Token>(id);
    MINERVA_TRY(a.content, get_string(e, "content", at));
    if (a.content.empty()) return field_error(join_path(at, "content"), "is empty");
    MINERVA_TRY(a.special, get_bool_or(e, "special", at, false));
    MINERVA_TRY(a.lstrip, get_bool_or(e, "lstrip", at, false));
    MINERVA_TRY(a.rstrip, get_bool_or(e, "rstrip", at, false));
    MINERVA_TRY(a.normalized, get_bool_or(e, "normalized", at, !a.special));
    MINERVA_TRY(a.single_word, get_bool_or(e, "single_word", at, false));
    added.push_back(std::move(a));
  }
  return added;
}

// tokenizer_config.json token fields are a string, {"content": ...} or null.
std::string config_token(const json& cfg, std::string_view key) {
  const json* v = find(cfg, key);
  if (v == nullptr) return {};
  if (v->is_string()) return v->get<std::string>();
  if (const json* c = find(*v, "content"); c != nullptr && c->is_string()) return c->get<std::string>();
  return {};
}

Result<json> parse_json(std::string_view text, const std::string& what) {
  try {
    json j = json::parse(text);
    if (!j.is_object()) return make_error(what + ": top level is " + type_name(j) + ", expected an object");
    return j;
  } catch (const json::parse_error& e) {
    std::string detail = e.what();  // may quote input bytes: keep the message on one line
    for (char& c : detail) {
      if (static_cast<unsigned char>(c) < 0x20) c = ' ';
    }
    return make_error(what + ": not valid JSON (byte " + std::to_string(e.byte) + "): " + detail);
  }
}

}  // namespace

Result<Loaded> load(std::string_view tokenizer_json, std::string_view config_json) {
  MINERVA_TRY(const json root, parse_json(tokenizer_json, "tokenizer.json"));
  json cfg = json::object();
  if (!config_json.empty()) {
    MINERVA_TRY(cfg, parse_json(config_json, "tokenizer_config.json"));
  }
  auto p = std::make_shared<Pipeline>();
  MINERVA_TRY(const json* model_json, require(root, "model", ""));
  MINERVA_TRY(p->model, make_model(*model_json, "model"));
  MINERVA_TRY(p->added, read_added(root));

  // Token table: model vocab, then added tokens (which win for their ids).
  size_t n_model = 0, n_added = 0;
  for (const auto& e : p->model->vocab) n_model = std::max(n_model, static_cast<size_t>(e.second) + 1);
  for (const AddedToken& a : p->added) n_added = std::max(n_added, static_cast<size_t>(a.id) + 1);
  const size_t n = std::max(n_model, n_added);
  if (n == 0) return field_error("model.vocab", "is empty");
  // Ids may leave holes (unused ids), but a lone huge id must not make us allocate a table for it.
  const size_t entries = p->model->vocab.size() + p->added.size();
  if (n > entries + 65536) {
    return field_error(n_added > n_model ? "added_tokens" : "model.vocab",
                       "uses id " + std::to_string(n - 1) + " with only " + std::to_string(entries) +
                           " tokens: more than 65536 ids would be unused");
  }
  p->texts.assign(n, {});
  p->is_added.assign(n, 0);
  auto d = std::make_shared<VocabData>();
  d->attrs.assign(n, TokenAttr::Undefined);
  for (const auto& [text, id] : p->model->vocab) {
    p->texts[static_cast<size_t>(id)] = text;
    const bool byte = p->model->byte_fallback && text.size() == 6 && text.starts_with("<0x") && text.ends_with('>');
    d->attrs[static_cast<size_t>(id)] = byte ? TokenAttr::Byte : TokenAttr::Normal;
  }
  if (p->model->unk >= 0) d->attrs[static_cast<size_t>(p->model->unk)] = TokenAttr::Unknown;
  for (const AddedToken& a : p->added) {
    p->texts[static_cast<size_t>(a.id)] = a.content;
    p->is_added[static_cast<size_t>(a.id)] = 1;
    d->attrs[static_cast<size_t>(a.id)] = a.special ? TokenAttr::Control : TokenAttr::UserDefined;
  }

  MINERVA_TRY(p->normalizer, make_normalizer(root.contains("normalizer") ? root["normalizer"] : json(), "normalizer"));
  MINERVA_TRY(p->pre_tokenizer,
              make_pre_tokenizer(root.contains("pre_tokenizer") ? root["pre_tokenizer"] : json(), "pre_tokenizer"));
  MINERVA_TRY(p->post_processor, make_post_processor(root.contains("post_processor") ? root["post_processor"] : json(),
                                                     "post_processor", n));
  MINERVA_TRY(p->decoder, make_decoder(root.contains("decoder") ? root["decoder"] : json(), "decoder"));

  for (size_t i = 0; i < p->added.size(); ++i) {
    const AddedToken& a = p->added[i];
    if (!a.normalized) {
      p->raw_matcher.add(a.content, i);
    } else {
      std::string norm = a.content;  // matched in normalized text, so normalized itself (HF does the same)
      if (p->normalizer) p->normalizer(norm);
      p->normalized_matcher.add(norm, i);
    }
  }
  p->raw_matcher.set_tokens(&p->added);
  p->normalized_matcher.set_tokens(&p->added);

  // tokenizer_config.json: special tokens, add_bos/add_eos for the Llama/Gemma classes, cleanup, template.
  auto id_of = [&](const std::string& text) -> Token {
    if (text.empty()) return -1;
    for (const AddedToken& a : p->added) {
      if (a.content == text) return a.id;
    }
    for (const auto& [t, id] : p->model->vocab) {
      if (t == text) return id;
    }
    return -1;
  };
  d->bos = id_of(config_token(cfg, "bos_token"));
  d->eos = id_of(config_token(cfg, "eos_token"));
  d->unk = p->model->unk >= 0 ? p->model->unk : id_of(config_token(cfg, "unk_token"));
  MINERVA_TRY(p->clean_up_spaces, get_bool_or(cfg, "clean_up_tokenization_spaces", "tokenizer_config.json", false));
  if (const json* t = find(cfg, "chat_template"); t != nullptr) {
    if (t->is_string()) {
      p->chat_template = t->get<std::string>();
    } else if (t->is_array()) {  // [{"name": "default", "template": ...}, ...]
      for (const json& e : *t) {
        if (find(e, "name") != nullptr && e["name"] == "default" && find(e, "template") != nullptr &&
            e["template"].is_string()) {
          p->chat_template = e["template"].get<std::string>();
        }
      }
    }
  }
  // transformers' LlamaTokenizerFast/GemmaTokenizerFast rebuild the post-processor from add_bos_token and
  // add_eos_token (defaults true/false), whatever tokenizer.json says.
  MINERVA_TRY(const std::string cls, get_string_or(cfg, "tokenizer_class", "tokenizer_config.json", ""));
  static constexpr std::string_view kLlamaClasses[] = {"LlamaTokenizer",     "LlamaTokenizerFast",
                                                       "CodeLlamaTokenizer", "CodeLlamaTokenizerFast",
                                                       "GemmaTokenizer",     "GemmaTokenizerFast"};
  if (std::find(std::begin(kLlamaClasses), std::end(kLlamaClasses), cls) != std::end(kLlamaClasses)) {
    MINERVA_TRY(const bool add_bos, get_bool_or(cfg, "add_bos_token", "tokenizer_config.json", true));
    MINERVA_TRY(const bool add_eos, get_bool_or(cfg, "add_eos_token", "tokenizer_config.json", false));
    const Token bos = add_bos ? d->bos : -1, eos = add_eos ? d->eos : -1;
    p->post_processor = [bos, eos](std::vector<Token>& ids) {
      if (bos >= 0) ids.insert(ids.begin(), bos);
      if (eos >= 0) ids.push_back(eos);
    };
  }
  std::vector<Token> probe;
  if (p->post_processor) p->post_processor(probe);
  d->add_bos = !probe.empty() && probe.front() == d->bos && d->bos >= 0;
  d->add_eos = !probe.empty() && probe.back() == d->eos && d->eos >= 0;
  d->model = "hf-" + p->model->type;

  Loaded out;
  const bool byte_level =
      root.contains("pre_tokenizer") && root["pre_tokenizer"].dump().find("\"ByteLevel\"") != std::string::npos;
  out.vocab = finish_vocab(std::move(d), p->texts, byte_level);
  out.pipeline = std::move(p);
  return out;
}

}  // namespace minerva::hf
