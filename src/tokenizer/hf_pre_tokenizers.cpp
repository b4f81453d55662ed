// tokenizer.json pre-tokenizers: Split (every SplitDelimiterBehavior, invert), ByteLevel, Metaspace, Digits,
// Whitespace, WhitespaceSplit, Punctuation, BertPreTokenizer, CharDelimiterSplit, Sequence.
#include "tokenizer/bpe.h"
#include "tokenizer/hf.h"

namespace minerva::hf {
namespace {

using Finder = std::function<bool(std::string_view, size_t, size_t*, size_t*)>;

// Every single character satisfying pred is a match (Rust's Pattern for Fn(char) -> bool).
template <typename Pred>
Finder char_finder(Pred pred) {
  return [pred](std::string_view s, size_t start, size_t* b, size_t* e) {
    for (size_t i = start; i < s.size();) {
      const size_t at = i;
      if (pred(next_cp(s, i))) {
        *b = at;
        *e = i;
        return true;
      }
    }
    return false;
  };
}

Finder pattern_finder(Pattern p) {
  return [p = std::move(p)](std::string_view s, size_t start, size_t* b, size_t* e) { return p.find(s, start, b, e); };
}

void apply_all(std::vector<Piece>& pieces, const Finder& f, Behavior behavior, bool invert) {
  std::vector<Piece> out;
  out.reserve(pieces.size() * 2);
  for (const Piece& p : pieces) split_piece(p, f, behavior, invert, out);
  pieces = std::move(out);
}

const Regex& gpt2_regex() {
  static const Regex re =
      Regex::compile(R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)").value();
  return re;
}

Result<PreTokenizer> byte_level(const json& j, const std::string& path) {
  MINERVA_TRY(const bool prefix_space, get_bool_or(j, "add_prefix_space", path, true));
  MINERVA_TRY(const bool use_regex, get_bool_or(j, "use_regex", path, true));
  const Finder f = [](std::string_view s, size_t start, size_t* b, size_t* e) {
    return gpt2_regex().find(s, start, b, e);
  };
  return PreTokenizer([=](std::vector<Piece>& pieces) {
    if (prefix_space) {
      for (Piece& p : pieces) {
        if (!p.text.starts_with(' ')) p.text.insert(0, 1, ' ');
      }
    }
    if (use_regex) apply_all(pieces, f, Behavior::Isolated, false);
    for (Piece& p : pieces) {
      std::string mapped;
      mapped.reserve(p.text.size() * 2);
      for (char c : p.text) mapped.append(bpe::byte_to_unicode(static_cast<uint8_t>(c)));
      p.text = std::move(mapped);
    }
  });
}

Result<PreTokenizer> metaspace(const json& j, const std::string& path) {
  MINERVA_TRY(const std::string rep, get_string_or(j, "replacement", path, "\xE2\x96\x81"));
  {
    size_t i = 0;
    if (rep.empty() || (next_cp(rep, i), i != rep.size())) {
      return field_error(join_path(path, "replacement"), "must be exactly one character");
    }
  }
  MINERVA_TRY(const bool legacy_prefix, get_bool_or(j, "add_prefix_space", path, true));
  MINERVA_TRY(const std::string scheme, get_string_or(j, "prepend_scheme", path, legacy_prefix ? "always" : "never"));
  if (scheme != "always" && scheme != "first" && scheme != "never") {
    return field_error(join_path(path, "prepend_scheme"), "is '" + scheme + "', expected always, first or never");
  }
  MINERVA_TRY(const bool split, get_bool_or(j, "split", path, true));
  Pattern p;
  p.literal = rep;
  const Finder f = pattern_finder(p);
  return PreTokenizer([=](std::vector<Piece>& pieces) {
    for (Piece& piece : pieces) {
      std::string t;
      t.reserve(piece.text.size() + rep.size());
      for (char c : piece.text) {
        if (c == ' ') {
          t += rep;
        } else {
          t += c;
        }
      }
      if (!t.starts_with(rep) && (scheme == "always" || (scheme == "first" && piece.at_start))) t.insert(0, rep);
      piece.text = std::move(t);
    }
    if (split) apply_all(pieces, f, Behavior::MergedWithNext, false);
  });
}

Result<PreTokenizer> split(const json& j, const std::string& path) {
  MINERVA_TRY(const json* pat, require(j, "pattern", path));
  MINERVA_TRY(Pattern p, make_pattern(*pat, join_path(path, "pattern")));
  MINERVA_TRY(const Behavior behavior, parse_behavior(j, path));
  MINERVA_TRY(const bool invert, get_bool_or(j, "invert", path, false));
  const Finder f = pattern_finder(std::move(p));
  return PreTokenizer([=](std::vector<Piece>& pieces) { apply_all(pieces, f, behavior, invert); });
}

PreTokenizer with_finder(const Finder& f, Behavior behavior, bool invert = false) {
  return [=](std::vector<Piece>& pieces) { apply_all(pieces, f, behavior, invert); };
}

}  // namespace

Result<Behavior> parse_behavior(const json& obj, const std::string& path) {
  MINERVA_TRY(const std::string b, get_string(obj, "behavior", path));
  if (b == "Removed") return Behavior::Removed;
  if (b == "Isolated") return Behavior::Isolated;
  if (b == "MergedWithPrevious") return Behavior::MergedWithPrevious;
  if (b == "MergedWithNext") return Behavior::MergedWithNext;
  if (b == "Contiguous") return Behavior::Contiguous;
  return field_error(join_path(path, "behavior"), "is '" + b +
                                                      "', expected Removed, Isolated, MergedWithPrevious, "
                                                      "MergedWithNext or Contiguous");
}

void split_piece(const Piece& p, const Finder& find, Behavior behavior, bool invert, std::vector<Piece>& out) {
  struct Seg {
    size_t b, e;
    bool match;
  };
  const std::string_view s = p.text;
  std::vector<Seg> segs;
  size_t pos = 0, mb = 0, me = 0;
  while (pos < s.size() && find(s, pos, &mb, &me)) {
    if (mb > pos) segs.push_back({pos, mb, false});
    segs.push_back({mb, me, true});
    pos = me;
  }
  if (pos < s.size()) segs.push_back({pos, s.size(), false});
  if (invert) {
    for (Seg& g : segs) g.match = !g.match;
  }
  // The fold of HF's NormalizedString::split for each behaviour; results are (b, e) ranges.
  std::vector<std::pair<size_t, size_t>> r;
  bool prev_match = false;
  switch (behavior) {
    case Behavior::Removed:
      for (const Seg& g : segs) {
        if (!g.match) r.emplace_back(g.b, g.e);
      }
      break;
    case Behavior::Isolated:
      for (const Seg& g : segs) r.emplace_back(g.b, g.e);
      break;
    case Behavior::MergedWithPrevious:
      for (const Seg& g : segs) {
        if (g.match && !prev_match && !r.empty()) {
          r.back().second = g.e;
        } else {
          r.emplace_back(g.b, g.e);
        }
        prev_match = g.match;
      }
      break;
    case Behavior::MergedWithNext:
      for (size_t k = segs.size(); k-- > 0;) {
        const Seg& g = segs[k];
        if (g.match && !prev_match && !r.empty()) {
          r.back().first = g.b;
        } else {
          r.emplace_back(g.b, g.e);
        }
        prev_match = g.match;
      }
      std::reverse(r.begin(), r.end());
      break;
    case Behavior::Contiguous:
      for (size_t k = 0; k < segs.size(); ++k) {
        if (k > 0 && segs[k].match == prev_match && !r.empty()) {
          r.back().second = segs[k].e;
        } else {
          r.emplace_back(segs[k].b, segs[k].e);
        }
        prev_match = segs[k].match;
      }
      break;
  }
  for (const auto& [b, e] : r) {
    if (e > b) out.push_back({std::string(s.substr(b, e - b)), p.at_start && b == 0});
  }
}

Result<PreTokenizer> make_pre_tokenizer(const json& j, const std::string& path) {
  if (j.is_null()) return PreTokenizer{};
  MINERVA_TRY(const std::string type, get_type(j, path));
  if (type == "ByteLevel") return byte_level(j, path);
  if (type == "Metaspace") return metaspace(j, path);
  if (type == "Split") return split(j, path);
  if (type == "Digits") {
    MINERVA_TRY(const bool individual, get_bool_or(j, "individual_digits", path, false));
    return with_finder(char_finder([](int32_t c) { return c >= '0' && c <= '9'; }),
                       individual ? Behavior::Isolated : Behavior::Contiguous);
  }
  if (type == "Whitespace") {
    static const Regex re = Regex::compile(R"(\w+|[^\w\s]+)").value();
    return with_finder([](std::string_view s, size_t st, size_t* b, size_t* e) { return re.find(s, st, b, e); },
                       Behavior::Removed, /*invert=*/true);
  }
  if (type == "WhitespaceSplit") return with_finder(char_finder(is_whitespace), Behavior::Removed);
  if (type == "Punctuation") {
    Behavior behavior = Behavior::Isolated;
    if (find(j, "behavior") != nullptr) {
      MINERVA_TRY(behavior, parse_behavior(j, path));
    }
    return with_finder(char_finder(is_punctuation), behavior);
  }
  if (type == "BertPreTokenizer") {
    const Finder ws = char_finder(is_whitespace), punct = char_finder(is_punctuation);
    return PreTokenizer([=](std::vector<Piece>& pieces) {
      apply_all(pieces, ws, Behavior::Removed, false);
      apply_all(pieces, punct, Behavior::Isolated, false);
    });
  }
  if (type == "CharDelimiterSplit") {
    MINERVA_TRY(const std::string d, get_string(j, "delimiter", path));
    size_t i = 0;
    if (d.empty() || (next_cp(d, i), i != d.size())) {
      return field_error(join_path(path, "delimiter"), "must be exactly one character");
    }
    Pattern p;
    p.literal = d;
    return with_finder(pattern_finder(p), Behavior::Removed);
  }
  if (type == "Sequence") {
    MINERVA_TRY(const json* list, require(j, "pretokenizers", path));
    if (!list->is_array()) {
      return field_error(join_path(path, "pretokenizers"), "is " + type_name(*list) + ", expected an array");
    }
    std::vector<PreTokenizer> parts;
    for (size_t i = 0; i < list->size(); ++i) {
      MINERVA_TRY(PreTokenizer p,
                  make_pre_tokenizer((*list)[i], join_path(path, "pretokenizers[" + std::to_string(i) + "]")));
      if (p) parts.push_back(std::move(p));
    }
    return PreTokenizer([parts](std::vector<Piece>& pieces) {
      for (const PreTokenizer& p : parts) p(pieces);
    });
  }
  return field_error(join_path(path, "type"), "is '" + type +
                                                  "', not a supported pre-tokenizer (ByteLevel, Metaspace, Split, "
                                                  "Digits, Whitespace, WhitespaceSplit, Punctuation, "
                                                  "BertPreTokenizer, CharDelimiterSplit, Sequence)");
}

}  // namespace minerva::hf
