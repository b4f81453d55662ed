// GBNF text -> Grammar. Repetitions are expanded into generated rules here, so the matcher only
// knows characters, references and the end of an alternative.
#include <algorithm>
#include <unordered_map>

#include "grammar/grammar.h"

namespace minerva::grammar {

void CharSet::normalize() {
  std::sort(ranges.begin(), ranges.end());
  std::vector<std::pair<uint32_t, uint32_t>> merged;
  for (auto r : ranges) {
    if (r.first > r.second) continue;
    if (!merged.empty() && r.first <= merged.back().second + 1) {
      merged.back().second = std::max(merged.back().second, r.second);
    } else {
      merged.push_back(r);
    }
  }
  ranges = std::move(merged);
  ascii = {};
  for (auto [lo, hi] : ranges) {
    for (uint32_t c = lo; c <= std::min<uint32_t>(hi, 127); ++c) ascii[c >> 6] |= uint64_t{1} << (c & 63);
  }
}

CharSet CharSet::complement() const {
  CharSet out;
  uint32_t next = 0;
  for (auto [lo, hi] : ranges) {
    if (lo > next) out.ranges.emplace_back(next, lo - 1);
    next = hi + 1;
  }
  if (next <= kMaxCodePoint) out.ranges.emplace_back(next, kMaxCodePoint);
  out.normalize();
  return out;
}

bool CharSet::contains(uint32_t cp) const {
  if (cp < 128) return (ascii[cp >> 6] >> (cp & 63)) & 1;
  auto it = std::upper_bound(ranges.begin(), ranges.end(), std::make_pair(cp, kMaxCodePoint + 1));
  return it != ranges.begin() && std::prev(it)->second >= cp;
}

bool CharSet::intersects(uint32_t lo, uint32_t hi) const {
  for (auto [a, b] : ranges) {
    if (a <= hi && b >= lo) return true;
  }
  return false;
}

namespace {

struct Item {
  ElemKind kind;
  uint32_t index;
};

using Alternative = std::vector<Item>;

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

class Parser {
 public:
  explicit Parser(std::string_view src) : src_(src) {}

  Result<std::shared_ptr<const Grammar>> run(std::string_view root_name) {
    MINERVA_CHECK(parse_rules());
    if (defined_.empty()) return make_error("the grammar has no rules");
    for (size_t r = 0; r < names_.size(); ++r) {
      if (!defined_[r]) return error_at(first_use_[r], "undefined rule '" + names_[r] + "'");
    }
    auto root = ids_.find(std::string(root_name));
    if (root == ids_.end()) return make_error("the grammar has no '" + std::string(root_name) + "' rule");
    MINERVA_CHECK(check_left_recursion());
    auto g = std::make_shared<Grammar>();
    g->sets = std::move(sets_);
    g->rule_names = names_;
    g->root = root->second;
    g->rule_alts.resize(rules_.size());
    for (size_t r = 0; r < rules_.size(); ++r) {
      for (const Alternative& alt : rules_[r]) {
        g->rule_alts[r].push_back(static_cast<uint32_t>(g->elems.size()));
        for (Item it : alt) g->elems.push_back({it.kind, it.index});
        g->elems.push_back({ElemKind::End, 0});
      }
    }
    return std::shared_ptr<const Grammar>(std::move(g));
  }

 private:
  Error error_at(size_t at, const std::string& what) const {
    size_t line = 1, col = 1;
    for (size_t i = 0; i < at && i < src_.size(); ++i) {
      if (src_[i] == '\n') {
        ++line;
        col = 1;
      } else if ((static_cast<unsigned char>(src_[i]) & 0xC0) != 0x80) {
        ++col;
      }
    }
    return make_error("grammar line " + std::to_string(line) + ", column " + std::to_string(col) + ": " + what);
  }

  bool at_end() const { return pos_ >= src_.size(); }
  char peek(size_t ahead = 0) const { return pos_ + ahead < src_.size() ? src_[pos_ + ahead] : '\0'; }

  // Skips blanks and comments; newlines too when `newlines`.
  void skip_space(bool newlines) {
    while (!at_end()) {
      const char c = peek();
      if (c == ' ' || c == '\t' || (newlines && (c == '\n' || c == '\r'))) {
        ++pos_;
      } else if (c == '#') {
        while (!at_end() && peek() != '\n') ++pos_;
      } else {
        break;
      }
    }
  }

  uint32_t rule_id(const std::string& name, size_t use_pos) {
    auto [it, inserted] = ids_.emplace(name, static_cast<uint32_t>(names_.size()));
    if (inserted) {
      names_.push_back(name);
      rules_.emplace_back();
      defined_.push_back(false);
      first_use_.push_back(use_pos);
    }
    return it->second;
  }

  uint32_t new_rule(const std::string& base) {
    std::string name;
    do {
      name = base + "-" + std::to_string(++generated_);
    } while (ids_.count(name) != 0);
    const uint32_t id = rule_id(name, pos_);
    defined_[id] = true;
    return id;
  }

  Status count_items(size_t n) {
    items_ += n;
    if (items_ > kMaxElements) {
      return error_at(pos_, "the grammar is too large (more than " + std::to_string(kMaxElements) +
                                " elements after expanding repetitions)");
    }
    return Ok{};
  }

  Status parse_rules() {
    for (;;) {
      skip_space(true);
      if (at_end()) return Ok{};
      const size_t start = pos_;
      std::string name;
      while (!at_end() && is_name_char(peek())) name += src_[pos_++];
      if (name.empty()) return error_at(pos_, "expected a rule name");
      skip_space(false);
      if (src_.substr(pos_, 3) != "::=") return error_at(pos_, "expected '::=' after rule name '" + name + "'");
      pos_ += 3;
      const uint32_t id = rule_id(name, start);
      if (defined_[id]) return error_at(start, "rule '" + name + "' is defined twice");
      defined_[id] = true;
      MINERVA_CHECK(parse_alternates(id, name, false));
      skip_space(false);
      if (!at_end() && peek() != '\n' && peek() != '\r') return error_at(pos_, "unexpected character after rule");
    }
  }

  Status parse_alternates(uint32_t id, const std::string& name, bool nested) {
    std::vector<Alternative> alts;
    for (;;) {
      Alternative seq;
      MINERVA_CHECK(parse_sequence(name, seq, nested));
      alts.push_back(std::move(seq));
      skip_space(nested);
      if (peek() != '|') break;
      ++pos_;
      skip_space(true);  // an alternative may start on the next line
    }
    rules_[id] = std::move(alts);
    return Ok{};
  }

  Status parse_sequence(const std::string& name, Alternative& out, bool nested) {
    for (;;) {
      skip_space(nested);
      if (at_end()) return Ok{};
      const char c = peek();
      if (c == '|' || c == ')' || c == '\n' || c == '\r') return Ok{};
      const size_t symbol_start = out.size();
      const size_t symbol_pos = pos_;
      if (c == '"') {
        ++pos_;
        while (!at_end() && peek() != '"') {
          MINERVA_TRY(uint32_t cp, parse_char());
          CharSet s;
          s.ranges.emplace_back(cp, cp);
          s.normalize();
          out.push_back({ElemKind::Chars, add_set(std::move(s))});
        }
        if (at_end()) return error_at(symbol_pos, "unterminated string literal");
        ++pos_;
      } else if (c == '[') {
        MINERVA_TRY(CharSet s, parse_class());
        out.push_back({ElemKind::Chars, add_set(std::move(s))});
      } else if (c == '.') {
        ++pos_;
        CharSet s;
        s.ranges.emplace_back(0, kMaxCodePoint);
        s.normalize();
        out.push_back({ElemKind::Chars, add_set(std::move(s))});
      } else if (is_name_char(c)) {
        std::string ref;
        while (!at_end() && is_name_char(peek())) ref += src_[pos_++];
        out.push_back({ElemKind::Ref, rule_id(ref, symbol_pos)});
      } else if (c == '(') {
        ++pos_;
        const uint32_t sub = new_rule(name);
        MINERVA_CHECK(parse_alternates(sub, name, true));
        skip_space(true);
        if (peek() != ')') return error_at(pos_, "expected ')' to close the group opened at " + where(symbol_pos));
        ++pos_;
        out.push_back({ElemKind::Ref, sub});
      } else {
        return error_at(pos_, std::string("unexpected character '") + c + "'");
      }
      MINERVA_CHECK(count_items(out.size() - symbol_start));
      MINERVA_CHECK(parse_postfix(name, out, symbol_start));
    }
  }

  std::string where(size_t at) const {
    std::string m = error_at(at, "").message;  // "grammar line L, column C: "
    return m.substr(8, m.size() - 10);
  }

  Status parse_postfix(const std::string& name, Alternative& out, size_t symbol_start) {
    const char c = peek();
    uint32_t min = 0, max = 0;
    bool unbounded = false;
    if (c == '*') {
      unbounded = true;
    } else if (c == '+') {
      min = 1;
      unbounded = true;
    } else if (c == '?') {
      max = 1;
    } else if (c == '{') {
      const size_t open = pos_;
      ++pos_;
      skip_space(false);
      MINERVA_TRY(uint32_t lo, parse_count(true));
      min = lo;
      skip_space(false);
      if (peek() == ',') {
        ++pos_;
        skip_space(false);
        if (peek() == '}') {
          unbounded = true;
        } else {
          MINERVA_TRY(uint32_t hi, parse_count(false));
          max = hi;
        }
      } else {
        max = min;
      }
      skip_space(false);
      if (peek() != '}') return error_at(pos_, "expected '}' to close the repetition opened at " + where(open));
      if (!unbounded && max < min) return error_at(open, "repetition {m,n} needs m <= n");
    } else {
      return Ok{};
    }
    ++pos_;
    if (out.size() == symbol_start) return Ok{};  // repeating "" is ""
    Item x = out[symbol_start];
    if (out.size() - symbol_start > 1) {  // a multi-character literal repeats as a whole
      const uint32_t r = new_rule(name);
      rules_[r].push_back(Alternative(out.begin() + static_cast<std::ptrdiff_t>(symbol_start), out.end()));
      x = {ElemKind::Ref, r};
    }
    out.resize(symbol_start);
    MINERVA_CHECK(count_items(size_t{min} + (unbounded ? 3 : 3 * size_t{max - min})));
    for (uint32_t i = 0; i < min; ++i) out.push_back(x);
    if (unbounded) {
      // star ::= x star | ""
      const uint32_t star = new_rule(name);
      rules_[star] = {Alternative{x, {ElemKind::Ref, star}}, Alternative{}};
      out.push_back({ElemKind::Ref, star});
    } else if (max > min) {
      // opt_k ::= x opt_{k-1} | "" : at most k more, each nested in the tail position.
      uint32_t prev = new_rule(name);
      rules_[prev] = {Alternative{x}, Alternative{}};
      for (uint32_t k = 2; k <= max - min; ++k) {
        const uint32_t r = new_rule(name);
        rules_[r] = {Alternative{x, {ElemKind::Ref, prev}}, Alternative{}};
        prev = r;
      }
      out.push_back({ElemKind::Ref, prev});
    }
    return Ok{};
  }

  Result<uint32_t> parse_count(bool allow_empty) {
    const size_t start = pos_;
    uint64_t v = 0;
    while (!at_end() && peek() >= '0' && peek() <= '9') {
      v = v * 10 + static_cast<uint64_t>(peek() - '0');
      if (v > kMaxRepetition) {
        return error_at(start, "repetition count is larger than " + std::to_string(kMaxRepetition));
      }
      ++pos_;
    }
    if (pos_ == start && !allow_empty) return error_at(pos_, "expected a repetition count");
    return static_cast<uint32_t>(v);
  }

  Result<uint32_t> parse_hex(int digits) {
    uint32_t v = 0;
    for (int i = 0; i < digits; ++i) {
      const char c = peek();
      uint32_t d = 0;
      if (c >= '0' && c <= '9') {
        d = static_cast<uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        d = static_cast<uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        d = static_cast<uint32_t>(c - 'A' + 10);
      } else {
        return error_at(pos_, "expected " + std::to_string(digits) + " hex digits");
      }
      v = v * 16 + d;
      ++pos_;
    }
    if (v > kMaxCodePoint || (v >= 0xD800 && v <= 0xDFFF)) return error_at(pos_, "escape is not a Unicode scalar");
    return v;
  }

  // One character of a literal or class: an escape or one UTF-8 encoded code point.
  Result<uint32_t> parse_char() {
    const size_t start = pos_;
    const auto b = static_cast<unsigned char>(peek());
    if (b == '\\') {
      ++pos_;
      if (at_end()) return error_at(start, "unterminated escape");
      const char e = src_[pos_++];
      switch (e) {
        case 'n':
          return uint32_t{'\n'};
        case 'r':
          return uint32_t{'\r'};
        case 't':
          return uint32_t{'\t'};
        case '\\':
        case '"':
        case '[':
        case ']':
        case '-':
        case '^':
        case '/':
          return static_cast<uint32_t>(e);
        case 'x':
          return parse_hex(2);
        case 'u':
          return parse_hex(4);
        case 'U':
          return parse_hex(8);
        default:
          return error_at(start, std::string("unknown escape '\\") + e + "'");
      }
    }
    int len = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
    if (len == 0 || pos_ + static_cast<size_t>(len) > src_.size()) return error_at(start, "invalid UTF-8");
    uint32_t cp = len == 1 ? b : len == 2 ? (b & 0x1Fu) : len == 3 ? (b & 0x0Fu) : (b & 0x07u);
    for (int i = 1; i < len; ++i) {
      const auto c = static_cast<unsigned char>(src_[pos_ + static_cast<size_t>(i)]);
      if ((c & 0xC0) != 0x80) return error_at(start, "invalid UTF-8");
      cp = (cp << 6) | (c & 0x3Fu);
    }
    pos_ += static_cast<size_t>(len);
    return cp;
  }

  Result<CharSet> parse_class() {
    const size_t open = pos_;
    ++pos_;  // '['
    bool negate = false;
    if (peek() == '^') {
      negate = true;
      ++pos_;
    }
    CharSet s;
    while (!at_end() && peek() != ']') {
      MINERVA_TRY(uint32_t lo, parse_char());
      uint32_t hi = lo;
      if (peek() == '-' && peek(1) != ']' && pos_ + 1 < src_.size()) {
        ++pos_;
        MINERVA_TRY(uint32_t h, parse_char());
        if (h < lo) return error_at(pos_, "character range is reversed");
        hi = h;
      }
      s.ranges.emplace_back(lo, hi);
    }
    if (at_end()) return error_at(open, "unterminated character class");
    ++pos_;
    s.normalize();
    if (negate) s = s.complement();
    return s;
  }

  uint32_t add_set(CharSet s) {
    sets_.push_back(std::move(s));
    return static_cast<uint32_t>(sets_.size() - 1);
  }

  // A rule that can reach itself through leading references over empty-matching prefixes would
  // make the matcher expand forever.
  Status check_left_recursion() const {
    const size_t n = rules_.size();
    std::vector<bool> nullable(n, false);
    for (bool changed = true; changed;) {
      changed = false;
      for (size_t r = 0; r < n; ++r) {
        if (nullable[r]) continue;
        for (const Alternative& alt : rules_[r]) {
          const bool all = std::all_of(alt.begin(), alt.end(),
                                       [&](Item it) { return it.kind == ElemKind::Ref && nullable[it.index]; });
          if (all) {
            nullable[r] = changed = true;
            break;
          }
        }
      }
    }
    std::vector<std::vector<uint32_t>> left(n);
    for (size_t r = 0; r < n; ++r) {
      for (const Alternative& alt : rules_[r]) {
        for (Item it : alt) {
          if (it.kind != ElemKind::Ref) break;
          left[r].push_back(it.index);
          if (!nullable[it.index]) break;
        }
      }
    }
    std::vector<uint8_t> color(n, 0);  // 0 new, 1 on the DFS path, 2 done
    for (size_t start = 0; start < n; ++start) {
      if (color[start] != 0) continue;
      std::vector<std::pair<uint32_t, size_t>> path{{static_cast<uint32_t>(start), 0}};
      color[start] = 1;
      while (!path.empty()) {
        auto& [r, next] = path.back();
        if (next == left[r].size()) {
          color[r] = 2;
          path.pop_back();
          continue;
        }
        const uint32_t to = left[r][next++];
        if (color[to] == 1) {
          return make_error("grammar: rule '" + names_[to] +
                            "' can reach itself without consuming input (left recursion, or a repetition of "
                            "something that can match the empty string)");
        }
        if (color[to] == 0) {
          color[to] = 1;
          path.emplace_back(to, 0);
        }
      }
    }
    return Ok{};
  }

  std::string_view src_;
  size_t pos_ = 0;
  std::vector<std::vector<Alternative>> rules_;
  std::vector<std::string> names_;
  std::unordered_map<std::string, uint32_t> ids_;
  std::vector<bool> defined_;
  std::vector<size_t> first_use_;
  std::vector<CharSet> sets_;
  size_t items_ = 0;
  int generated_ = 0;
};

}  // namespace

Result<std::shared_ptr<const Grammar>> parse_gbnf(std::string_view text, std::string_view root) {
  Parser p(text);
  return p.run(root);
}

}  // namespace minerva::grammar
