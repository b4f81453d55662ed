// tokenizer.json decoders (ByteLevel, Metaspace, WordPiece, ByteFallback, Fuse, Strip, Replace, BPEDecoder,
// Sequence) and post-processors (TemplateProcessing, BertProcessing, RobertaProcessing, ByteLevel, Sequence).
#include "tokenizer/bpe.h"
#include "tokenizer/hf.h"

namespace minerva::hf {
namespace {

// "<0x41>" -> 0x41, else -1.
int byte_value(std::string_view t) {
  auto hex = [](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  if (t.size() != 6 || !t.starts_with("<0x") || t[5] != '>') return -1;
  const int hi = hex(t[3]), lo = hex(t[4]);
  return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

std::string replace_all(const Pattern& p, std::string_view s, std::string_view content) {
  std::string out;
  size_t pos = 0, b = 0, e = 0;
  while (pos < s.size() && p.find(s, pos, &b, &e)) {
    out.append(s.substr(pos, b - pos));
    out.append(content);
    pos = e;
  }
  if (pos < s.size()) out.append(s.substr(pos));
  return out;
}

void fuse(std::vector<std::string>& tokens, DecodeState& st) {
  std::string all;
  for (const std::string& t : tokens) all += t;
  tokens.clear();
  tokens.push_back(std::move(all));
  st.fused = true;
}

// Bytes that are not valid UTF-8 -> U+FFFD per maximal invalid part (Rust's from_utf8_lossy).
std::string lossy(std::string_view s) { return sanitize_utf8(s); }

Result<Decoder> strip_decoder(const json& j, const std::string& path) {
  MINERVA_TRY(const std::string content, get_string(j, "content", path));
  size_t i = 0;
  if (content.empty() || (next_cp(content, i), i != content.size())) {
    return field_error(join_path(path, "content"), "must be exactly one character");
  }
  MINERVA_TRY(const int64_t start, get_int_or(j, "start", path, 0));
  MINERVA_TRY(const int64_t stop, get_int_or(j, "stop", path, 0));
  if (start < 0 || stop < 0) return field_error(path, "has a negative start or stop");
  return Decoder([=](std::vector<std::string>& tokens, DecodeState& st) {
    for (size_t k = 0; k < tokens.size(); ++k) {
      std::string& t = tokens[k];
      // After a Fuse the list is the whole output: its start is only the output's start when `first`.
      if (!st.fused || (st.first && k == 0)) {
        for (int64_t n = 0; n < start && t.starts_with(content); ++n) t.erase(0, content.size());
      }
      if (!st.fused && !st.raw) {  // a fused piece's end is not the output's end
        for (int64_t n = 0; n < stop && t.ends_with(content); ++n) t.resize(t.size() - content.size());
      }
    }
  });
}

}  // namespace

std::string clean_up_tokenization_spaces(std::string_view s) {
  static constexpr std::pair<std::string_view, std::string_view> kRules[] = {
      {" .", "."},     {" ?", "?"},   {" !", "!"},   {" ,", ","},     {" ' ", "'"},
      {" n't", "n't"}, {" 'm", "'m"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}};
  std::string out(s);
  for (const auto& [from, to] : kRules) {
    std::string next;
    size_t pos = 0;
    for (size_t at; (at = out.find(from, pos)) != std::string::npos; pos = at + from.size()) {
      next.append(out, pos, at - pos);
      next.append(to);
    }
    next.append(out, pos);
    out = std::move(next);
  }
  return out;
}

Result<Decoder> make_decoder(const json& j, const std::string& path) {
  if (j.is_null()) return Decoder{};
  MINERVA_TRY(const std::string type, get_type(j, path));
  if (type == "ByteLevel") {
    return Decoder([](std::vector<std::string>& tokens, DecodeState& st) {
      std::string all;
      for (const std::string& t : tokens) all += bpe::unicode_to_bytes(t);
      tokens.clear();
      tokens.push_back(st.raw ? std::move(all) : lossy(all));
      st.fused = true;
    });
  }
  if (type == "Metaspace") {
    MINERVA_TRY(const std::string rep, get_string_or(j, "replacement", path, "\xE2\x96\x81"));
    MINERVA_TRY(const bool legacy_prefix, get_bool_or(j, "add_prefix_space", path, true));
    MINERVA_TRY(const std::string scheme, get_string_or(j, "prepend_scheme", path, legacy_prefix ? "always" : "never"));
    const Pattern p{rep, {}};
    const bool strip_first = scheme != "never";
    return Decoder([=](std::vector<std::string>& tokens, DecodeState& st) {
      for (size_t k = 0; k < tokens.size(); ++k) {
        std::string t = rep.empty() ? tokens[k] : replace_all(p, tokens[k], " ");
        if (k == 0 && st.first && strip_first && t.starts_with(' ')) t.erase(0, 1);
        tokens[k] = std::move(t);
      }
    });
  }
  if (type == "WordPiece") {
    MINERVA_TRY(const std::string prefix, get_string_or(j, "prefix", path, "##"));
    MINERVA_TRY(const bool cleanup, get_bool_or(j, "cleanup", path, true));
    return Decoder([=](std::vector<std::string>& tokens, DecodeState& st) {
      for (size_t k = 0; k < tokens.size(); ++k) {
        std::string& t = tokens[k];
        if (k > 0 || !st.first) {
          if (!prefix.empty() && t.starts_with(prefix)) {
            t.erase(0, prefix.size());
          } else {
            t.insert(0, 1, ' ');
          }
        }
        if (cleanup) t = clean_up_tokenization_spaces(t);
      }
    });
  }
  if (type == "ByteFallback") {
    return Decoder([](std::vector<std::string>& tokens, DecodeState& st) {
      std::vector<std::string> out;
      std::string bytes;
      size_t n_bytes = 0;
      auto flush = [&] {
        if (n_bytes == 0) return;
        const std::string fixed = lossy(bytes);
        if (st.raw || fixed == bytes) {
          out.push_back(bytes);
        } else {
          std::string repl;
          for (size_t k = 0; k < n_bytes; ++k) repl += "\xEF\xBF\xBD";  // HF: one U+FFFD per byte token
          out.push_back(repl);
        }
        bytes.clear();
        n_bytes = 0;
      };
      for (std::string& t : tokens) {
        const int b = byte_value(t);
        if (b >= 0) {
          bytes += static_cast<char>(b);
          ++n_bytes;
          continue;
        }
        flush();
        out.push_back(std::move(t));
      }
      flush();
      tokens = std::move(out);
    });
  }
  if (type == "Fuse") return Decoder(fuse);
  if (type == "Strip") return strip_decoder(j, path);
  if (type == "Replace") {
    MINERVA_TRY(const json* pat, require(j, "pattern", path));
    MINERVA_TRY(const Pattern p, make_pattern(*pat, join_path(path, "pattern")));
    MINERVA_TRY(const std::string content, get_string(j, "content", path));
    return Decoder([=](std::vector<std::string>& tokens, DecodeState&) {
      for (std::string& t : tokens) t = replace_all(p, t, content);
    });
  }
  if (type == "BPEDecoder") {
    MINERVA_TRY(const std::string suffix, get_string_or(j, "suffix", path, "</w>"));
    return Decoder([=](std::vector<std::string>& tokens, DecodeState& st) {
      for (size_t k = 0; k < tokens.size(); ++k) {
        const bool last = k + 1 == tokens.size() && !st.raw;  // a streamed piece is never known to be last
        if (!suffix.empty()) tokens[k] = replace_all(Pattern{suffix, {}}, tokens[k], last ? "" : " ");
      }
    });
  }
  if (type == "Sequence") {
    MINERVA_TRY(const json* list, require(j, "decoders", path));
    if (!list->is_array())
      return field_error(join_path(path, "decoders"), "is " + type_name(*list) + ", expected an array");
    std::vector<Decoder> parts;
    for (size_t i = 0; i < list->size(); ++i) {
      MINERVA_TRY(Decoder d, make_decoder((*list)[i], join_path(path, "decoders[" + std::to_string(i) + "]")));
      if (d) parts.push_back(std::move(d));
    }
    return Decoder([parts](std::vector<std::string>& tokens, DecodeState& st) {
      for (const Decoder& d : parts) d(tokens, st);
    });
  }
  return field_error(join_path(path, "type"), "is '" + type +
                                                  "', not a supported decoder (ByteLevel, Metaspace, WordPiece, "
                                                  "ByteFallback, Fuse, Strip, Replace, BPEDecoder, Sequence)");
}

namespace {

// ["[SEP]", 102] -> 102
Result<Token> token_pair_id(const json& j, std::string_view key, const std::string& path, size_t n_ids) {
  MINERVA_TRY(const json* v, require(j, key, path));
  const std::string at = join_path(path, key);
  if (!v->is_array() || v->size() != 2 || !(*v)[0].is_string() || !(*v)[1].is_number_integer()) {
    return field_error(at, "is " + v->dump().substr(0, 80) + ", expected [\"token\", id]");
  }
  const auto id = (*v)[1].get<int64_t>();
  if (id < 0 || static_cast<uint64_t>(id) >= n_ids) {
    return field_error(at, "has id " + std::to_string(id) + ", outside the vocab of " + std::to_string(n_ids));
  }
  return static_cast<Token>(id);
}

Result<PostProcessor> template_processing(const json& j, const std::string& path, size_t n_ids) {
  MINERVA_TRY(const json* single, require(j, "single", path));
  const std::string spath = join_path(path, "single");
  if (!single->is_array()) return field_error(spath, "is " + type_name(*single) + ", expected an array");
  const json* specials = find(j, "special_tokens");
  // Items: ids to insert, or an empty list with `sequence` set for the $A slot.
  std::vector<std::vector<Token>> items;
  std::vector<bool> is_sequence;
  for (size_t i = 0; i < single->size(); ++i) {
    const json& item = (*single)[i];
    const std::string at = spath + "[" + std::to_string(i) + "]";
    if (const json* seq = find(item, "Sequence"); seq != nullptr) {
      MINERVA_TRY(const std::string id, get_string(*seq, "id", join_path(at, "Sequence")));
      if (id != "A") return field_error(join_path(at, "Sequence.id"), "is '" + id + "', expected A in 'single'");
      items.emplace_back();
      is_sequence.push_back(true);
      continue;
    }
    const json* sp = find(item, "SpecialToken");
    if (sp == nullptr) return field_error(at, "is neither {\"Sequence\": ...} nor {\"SpecialToken\": ...}");
    MINERVA_TRY(const std::string name, get_string(*sp, "id", join_path(at, "SpecialToken")));
    const json* entry = specials != nullptr ? find(*specials, name) : nullptr;
    if (entry == nullptr) {
      return field_error(join_path(at, "SpecialToken.id"),
                         "'" + name + "' is not in " + join_path(path, "special_tokens"));
    }
    const std::string epath = join_path(join_path(path, "special_tokens"), name);
    MINERVA_TRY(const json* ids, require(*entry, "ids", epath));
    if (!ids->is_array()) return field_error(join_path(epath, "ids"), "is " + type_name(*ids) + ", expected an array");
    std::vector<Token> list;
    for (size_t k = 0; k < ids->size(); ++k) {
      const json& v = (*ids)[k];
      const std::string ip = join_path(epath, "ids[" + std::to_string(k) + "]");
      if (!v.is_number_integer() || v.get<int64_t>() < 0 || static_cast<uint64_t>(v.get<int64_t>()) >= n_ids) {
        return field_error(ip, "is " + v.dump() + ", not a token id of this vocab (" + std::to_string(n_ids) + ")");
      }
      list.push_back(static_cast<Token>(v.get<int64_t>()));
    }
    items.push_back(std::move(list));
    is_sequence.push_back(false);
  }
  return PostProcessor([items, is_sequence](std::vector<Token>& ids) {
    std::vector<Token> out;
    out.reserve(ids.size() + 4);
    for (size_t i = 0; i < items.size(); ++i) {
      if (is_sequence[i]) {
        out.insert(out.end(), ids.begin(), ids.end());
      } else {
        out.insert(out.end(), items[i].begin(), items[i].end());
      }
    }
    ids = std::move(out);
  });
}

}  // namespace

Result<PostProcessor> make_post_processor(const json& j, const std::string& path, size_t n_ids) {
  if (j.is_null()) return PostProcessor{};
  MINERVA_TRY(const std::string type, get_type(j, path));
  if (type == "ByteLevel") return PostProcessor{};  // offsets only
  if (type == "TemplateProcessing") return template_processing(j, path, n_ids);
  if (type == "BertProcessing" || type == "RobertaProcessing") {
    MINERVA_TRY(const Token cls, token_pair_id(j, "cls", path, n_ids));
    MINERVA_TRY(const Token sep, token_pair_id(j, "sep", path, n_ids));
    return PostProcessor([cls, sep](std::vector<Token>& ids) {
      ids.insert(ids.begin(), cls);
      ids.push_back(sep);
    });
  }
  if (type == "Sequence") {
    MINERVA_TRY(const json* list, require(j, "processors", path));
    if (!list->is_array())
      return field_error(join_path(path, "processors"), "is " + type_name(*list) + ", expected an array");
    std::vector<PostProcessor> parts;
    for (size_t i = 0; i < list->size(); ++i) {
      MINERVA_TRY(PostProcessor p,
                  make_post_processor((*list)[i], join_path(path, "processors[" + std::to_string(i) + "]"), n_ids));
      if (p) parts.push_back(std::move(p));
    }
    if (parts.empty()) return PostProcessor{};
    return PostProcessor([parts](std::vector<Token>& ids) {
      for (const PostProcessor& p : parts) p(ids);
    });
  }
  return field_error(join_path(path, "type"), "is '" + type +
                                                  "', not a supported post-processor (TemplateProcessing, "
                                                  "BertProcessing, RobertaProcessing, ByteLevel, Sequence)");
}

}  // namespace minerva::hf
