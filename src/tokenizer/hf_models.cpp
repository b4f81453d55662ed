// tokenizer.json models: BPE (merges as "a b" or ["a", "b"], byte_fallback, ignore_merges,
// continuing_subword_prefix, end_of_word_suffix, unk/fuse_unk), WordPiece, WordLevel and Unigram (Viterbi).
#include <algorithm>
#include <limits>
#include <unordered_map>

#include "tokenizer/bpe_merge.h"
#include "tokenizer/hf.h"

namespace minerva::hf {

void TokenTable::build(const std::vector<std::pair<std::string, Token>>& entries) {
  arena.clear();
  offsets.clear();
  ids.clear();
  for (const auto& [text, id] : entries) {
    offsets.push_back(static_cast<uint32_t>(arena.size()));
    arena += text;
    ids.push_back(id);
  }
  offsets.push_back(static_cast<uint32_t>(arena.size()));
  index.reset(arena.data(), entries.size());
  for (size_t k = 0; k < entries.size(); ++k) {
    index.insert(offsets[k], offsets[k + 1] - offsets[k], static_cast<int32_t>(k));
  }
}

namespace {

std::string byte_name(uint8_t b) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  return std::string{'<', '0', 'x', kHex[b >> 4], kHex[b & 15], '>'};
}

Result<Token> parse_id(const json& v, const std::string& path) {
  if (!v.is_number_integer() && !v.is_number_unsigned()) {
    return field_error(path, "is " + type_name(v) + ", expected a token id");
  }
  if (v.is_number_unsigned() ? v.get<uint64_t>() >= static_cast<uint64_t>(kMaxId)
                             : (v.get<int64_t>() < 0 || v.get<int64_t>() >= kMaxId)) {
    return field_error(path, "is " + v.dump() + ", outside the token id range [0, " + std::to_string(kMaxId) + ")");
  }
  return static_cast<Token>(v.get<int64_t>());
}

// {"text": id, ...} with every id used once.
Status read_vocab_object(const json& j, const std::string& path, Model& m) {
  MINERVA_TRY(const json* v, require(j, "vocab", path));
  const std::string vpath = join_path(path, "vocab");
  if (!v->is_object()) return field_error(vpath, "is " + type_name(*v) + ", expected an object of token -> id");
  std::unordered_map<Token, const std::string*> by_id;
  m.vocab.reserve(v->size());
  for (const auto& [text, idv] : v->items()) {
    std::string at = vpath;
    at += "[\"";
    at += text;
    at += "\"]";
    MINERVA_TRY(const Token id, parse_id(idv, at));
    const auto [it, fresh] = by_id.emplace(id, &text);
    if (!fresh) {
      return field_error(vpath,
                         "gives id " + std::to_string(id) + " to both \"" + *it->second + "\" and \"" + text + "\"");
    }
    m.vocab.emplace_back(text, id);
  }
  return Ok{};
}

Result<Token> read_unk(const json& j, const std::string& path, const TokenTable& table, bool required_in_vocab) {
  MINERVA_TRY(const std::string unk, get_string_or(j, "unk_token", path, ""));
  if (unk.empty()) return Token{-1};
  const Token id = table.find(unk);
  if (id < 0 && required_in_vocab)
    return field_error(join_path(path, "unk_token"), "'" + unk + "' is not in the vocab");
  return id;
}

Result<std::pair<std::string, std::string>> read_merge(const json& m, const std::string& path) {
  if (m.is_string()) {
    const auto s = m.get<std::string>();
    // Split at the first space: old files have merges such as "▁  " (a token containing a space).
    const size_t space = s.find(' ');
    if (space == std::string::npos)
      return field_error(path, "is \"" + s + "\", expected two tokens separated by a space");
    return std::make_pair(s.substr(0, space), s.substr(space + 1));
  }
  if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
    return std::make_pair(m[0].get<std::string>(), m[1].get<std::string>());
  }
  return field_error(path, "is " + type_name(m) + ", expected \"a b\" or [\"a\", \"b\"]");
}

Status make_bpe(const json& j, const std::string& path, Model& m) {
  MINERVA_CHECK(read_vocab_object(j, path, m));
  auto table = std::make_shared<TokenTable>();
  table->build(m.vocab);
  MINERVA_TRY(m.unk, read_unk(j, path, *table, true));
  MINERVA_TRY(m.byte_fallback, get_bool_or(j, "byte_fallback", path, false));
  MINERVA_TRY(const bool fuse_unk, get_bool_or(j, "fuse_unk", path, false));
  MINERVA_TRY(const bool ignore_merges, get_bool_or(j, "ignore_merges", path, false));
  MINERVA_TRY(m.continuing_subword_prefix, get_string_or(j, "continuing_subword_prefix", path, ""));
  MINERVA_TRY(m.end_of_word_suffix, get_string_or(j, "end_of_word_suffix", path, ""));
  if (const json* d = find(j, "dropout"); d != nullptr && !(d->is_number() && d->get<double>() == 0.0)) {
    return field_error(join_path(path, "dropout"),
                       "is " + d->dump() + "; BPE dropout (random merges) is not supported");
  }

  MINERVA_TRY(const json* merges, require(j, "merges", path));
  const std::string mpath = join_path(path, "merges");
  if (!merges->is_array()) return field_error(mpath, "is " + type_name(*merges) + ", expected an array");
  auto pairs = std::make_shared<bpe::PairTable>();
  pairs->reset(merges->size());
  const std::string& prefix = m.continuing_subword_prefix;
  // HF keeps the last of duplicate merges (a HashMap insert); PairTable keeps the first, so insert backwards.
  for (size_t k = merges->size(); k-- > 0;) {
    const std::string at = mpath + "[" + std::to_string(k) + "]";
    MINERVA_TRY(const auto ab, read_merge((*merges)[k], at));
    const Token l = table->find(ab.first), r = table->find(ab.second);
    const std::string_view rest =
        std::string_view(ab.second).starts_with(prefix) ? std::string_view(ab.second).substr(prefix.size()) : ab.second;
    const Token result = table->find(ab.first + std::string(rest));
    // Merges over strings that are not tokens can never fire on token ids; real files have some (GPT-2's
    // "Ġ Claude", Llama-2's "▁  "), and transformers loads them, so they are skipped rather than refused.
    if (ab.first.empty() || ab.second.empty() || l < 0 || r < 0 || result < 0) continue;
    pairs->insert(l, r, static_cast<int32_t>(k), result);
  }

  std::array<Token, 256> bytes{};
  for (int b = 0; b < 256; ++b) bytes[static_cast<size_t>(b)] = table->find(byte_name(static_cast<uint8_t>(b)));
  const std::string suffix = m.end_of_word_suffix;
  const Token unk = m.unk;
  const bool byte_fallback = m.byte_fallback;
  m.encode = [=](std::string_view word, std::vector<Token>& out) {
    if (word.empty()) return;
    if (ignore_merges) {
      if (const Token t = table->find(word); t >= 0) {
        out.push_back(t);
        return;
      }
    }
    thread_local bpe::MergeScratch s;
    thread_local std::string sym;
    s.ids.clear();
    Token pending_unk = -1;  // fuse_unk: consecutive unknown characters become one unk
    for (size_t i = 0; i < word.size();) {
      const size_t begin = i;
      (void)next_cp(word, i);
      sym.clear();
      if (begin > 0) sym += prefix;
      sym.append(word.substr(begin, i - begin));
      if (i == word.size()) sym += suffix;
      if (const Token t = table->find(sym); t >= 0) {
        if (pending_unk >= 0) s.ids.push_back(pending_unk);
        pending_unk = -1;
        s.ids.push_back(t);
        continue;
      }
      if (byte_fallback &&
          std::all_of(sym.begin(), sym.end(), [&](char c) { return bytes[static_cast<uint8_t>(c)] >= 0; })) {
        for (char c : sym) s.ids.push_back(bytes[static_cast<uint8_t>(c)]);  // (a pending unk stays pending, as HF)
        continue;
      }
      if (unk < 0) continue;  // HF drops characters it cannot represent when there is no unk token
      if (pending_unk >= 0 && !fuse_unk) s.ids.push_back(pending_unk);
      pending_unk = unk;
    }
    if (pending_unk >= 0) s.ids.push_back(pending_unk);
    bpe::merge(*pairs, s, out);
  };
  return Ok{};
}

Status make_wordpiece(const json& j, const std::string& path, Model& m) {
  MINERVA_CHECK(read_vocab_object(j, path, m));
  auto table = std::make_shared<TokenTable>();
  table->build(m.vocab);
  MINERVA_TRY(m.unk, read_unk(j, path, *table, true));
  if (m.unk < 0) return field_error(join_path(path, "unk_token"), "is missing; WordPiece needs an unknown token");
  MINERVA_TRY(m.continuing_subword_prefix, get_string_or(j, "continuing_subword_prefix", path, "##"));
  MINERVA_TRY(const int64_t max_chars, get_int_or(j, "max_input_chars_per_word", path, 100));
  const std::string prefix = m.continuing_subword_prefix;
  const Token unk = m.unk;
  m.encode = [=](std::string_view word, std::vector<Token>& out) {
    std::vector<size_t> bounds;  // character starts, then the end
    for (size_t i = 0; i < word.size();) {
      bounds.push_back(i);
      (void)next_cp(word, i);
    }
    if (bounds.empty()) return;
    if (static_cast<int64_t>(bounds.size()) > max_chars) {
      out.push_back(unk);
      return;
    }
    bounds.push_back(word.size());
    const size_t first = out.size();
    std::string sub;
    for (size_t start = 0; start + 1 < bounds.size();) {
      Token found = -1;
      size_t end = bounds.size() - 1;
      for (; end > start; --end) {
        sub.clear();
        if (start > 0) sub += prefix;
        sub.append(word.substr(bounds[start], bounds[end] - bounds[start]));
        if ((found = table->find(sub)) >= 0) break;
      }
      if (found < 0) {
        out.resize(first);
        out.push_back(unk);
        return;
      }
      out.push_back(found);
      start = end;
    }
  };
  return Ok{};
}

Status make_wordlevel(const json& j, const std::string& path, Model& m) {
  MINERVA_CHECK(read_vocab_object(j, path, m));
  auto table = std::make_shared<TokenTable>();
  table->build(m.vocab);
  MINERVA_TRY(m.unk, read_unk(j, path, *table, true));
  const Token unk = m.unk;
  m.encode = [=](std::string_view word, std::vector<Token>& out) {
    const Token t = table->find(word);
    if (t >= 0) {
      out.push_back(t);
    } else if (unk >= 0) {
      out.push_back(unk);
    }
  };
  return Ok{};
}

// Unigram: the segmentation with the highest total score (Viterbi over characters); an unknown character costs
// min score - 10 and consecutive unknowns fuse into one unk (HF's encode_optimized).
Status make_unigram(const json& j, const std::string& path, Model& m) {
  MINERVA_TRY(const json* v, require(j, "vocab", path));
  const std::string vpath = join_path(path, "vocab");
  if (!v->is_array()) return field_error(vpath, "is " + type_name(*v) + ", expected an array of [piece, score]");
  if (v->size() >= static_cast<size_t>(kMaxId)) return field_error(vpath, "has too many entries");
  float min_score = std::numeric_limits<float>::max();
  for (size_t k = 0; k < v->size(); ++k) {
    const json& e = (*v)[k];
    const std::string at = vpath + "[" + std::to_string(k) + "]";
    if (!e.is_array() || e.size() != 2 || !e[0].is_string() || !e[1].is_number()) {
      return field_error(at, "is " + e.dump().substr(0, 80) + ", expected [\"piece\", score]");
    }
    m.vocab.emplace_back(e[0].get<std::string>(), static_cast<Token>(k));
    const auto score = static_cast<float>(e[1].get<double>());
    m.scores.push_back(score);
    min_score = std::min(min_score, score);
  }
  MINERVA_TRY(const int64_t unk_id, get_int_or(j, "unk_id", path, -1));
  if (unk_id >= static_cast<int64_t>(v->size()) || unk_id < -1) {
    return field_error(join_path(path, "unk_id"), "is " + std::to_string(unk_id) + ", outside the vocab");
  }
  m.unk = static_cast<Token>(unk_id);
  MINERVA_TRY(m.byte_fallback, get_bool_or(j, "byte_fallback", path, false));
  auto table = std::make_shared<TokenTable>();
  table->build(m.vocab);
  size_t max_len = 0;
  for (const auto& e : m.vocab) max_len = std::max(max_len, e.first.size());
  std::array<Token, 256> bytes{};
  for (int b = 0; b < 256; ++b) bytes[static_cast<size_t>(b)] = table->find(byte_name(static_cast<uint8_t>(b)));
  const std::vector<float> scores = m.scores;
  const float unk_score = (m.vocab.empty() ? 0.0f : min_score) - 10.0f;
  const Token unk = m.unk;
  const bool byte_fallback = m.byte_fallback;
  m.encode = [=](std::string_view word, std::vector<Token>& out) {
    if (word.empty()) return;
    struct Node {
      double score = 0;
      int64_t start = -1;
      Token id = -1;
    };
    std::vector<Node> best(word.size() + 1);
    best[0].start = 0;
    for (size_t pos = 0; pos < word.size();) {
      size_t next = pos;
      (void)next_cp(word, next);
      const size_t char_len = next - pos;
      if (best[pos].start < 0) {  // unreachable only when there is no unk; skip the character
        pos = next;
        continue;
      }
      const double here = best[pos].score;
      bool single = false;
      for (size_t len = 1; len <= max_len && pos + len <= word.size(); ++len) {
        const Token t = table->find(word.substr(pos, len));
        if (t < 0) continue;
        Node& target = best[pos + len];
        const double cand = here + scores[static_cast<size_t>(t)];
        if (target.start < 0 || cand > target.score) target = {cand, static_cast<int64_t>(pos), t};
        if (len == char_len) single = true;
      }
      if (!single && unk >= 0) {
        Node& target = best[next];
        const double cand = here + unk_score;
        if (target.start < 0 || cand > target.score) target = {cand, static_cast<int64_t>(pos), unk};
      }
      pos = next;
    }
    // Walk back; fuse runs of unk.
    std::vector<std::pair<size_t, size_t>> spans;  // [b, e) per token, in reverse
    std::vector<Token> ids;
    for (size_t end = word.size(); end > 0;) {
      const Node& n = best[end];
      if (n.start < 0) {  // unreachable tail (no unk token): drop one character at a time
        --end;
        continue;
      }
      const auto start = static_cast<size_t>(n.start);
      if (n.id == unk && !ids.empty() && ids.back() == unk) {
        spans.back().first = start;
      } else {
        spans.emplace_back(start, end);
        ids.push_back(n.id);
      }
      end = start;
    }
    for (size_t k = ids.size(); k-- > 0;) {
      if (ids[k] != unk) {
        out.push_back(ids[k]);
        continue;
      }
      const std::string_view piece = word.substr(spans[k].first, spans[k].second - spans[k].first);
      if (const Token t = table->find(piece); t >= 0) {
        out.push_back(t);
        continue;
      }
      if (byte_fallback &&
          std::all_of(piece.begin(), piece.end(), [&](char c) { return bytes[static_cast<uint8_t>(c)] >= 0; })) {
        for (char c : piece) out.push_back(bytes[static_cast<uint8_t>(c)]);
        continue;
      }
      out.push_back(unk);
    }
  };
  return Ok{};
}

}  // namespace

Result<std::shared_ptr<Model>> make_model(const json& j, const std::string& path) {
  if (!j.is_object()) return field_error(path, "is " + type_name(j) + ", expected an object");
  auto m = std::make_shared<Model>();
  // Old files omit "type" for BPE (e.g. GPT-2's): recognise it by its merges.
  MINERVA_TRY(m->type, get_string_or(j, "type", path, find(j, "merges") != nullptr ? "BPE" : ""));
  if (m->type == "BPE") {
    MINERVA_CHECK(make_bpe(j, path, *m));
  } else if (m->type == "WordPiece") {
    MINERVA_CHECK(make_wordpiece(j, path, *m));
  } else if (m->type == "WordLevel") {
    MINERVA_CHECK(make_wordlevel(j, path, *m));
  } else if (m->type == "Unigram") {
    MINERVA_CHECK(make_unigram(j, path, *m));
  } else {
    return field_error(join_path(path, "type"),
                       "is '" + m->type + "', not a supported model (BPE, WordPiece, WordLevel, Unigram)");
  }
  return m;
}

}  // namespace minerva::hf
