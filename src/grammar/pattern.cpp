#include "grammar/pattern.h"

#include <cstdio>

#include "grammar/grammar.h"

namespace minerva::grammar {
namespace {

// Code points a JSON string may hold unescaped.
CharSet safe_chars() {
  CharSet s;
  s.ranges = {{0x20, 0x21}, {0x23, 0x5B}, {0x5D, 0xD7FF}, {0xE000, kMaxCodePoint}};
  s.normalize();
  return s;
}

CharSet intersect(const CharSet& a, const CharSet& b) {
  CharSet out;
  for (auto [alo, ahi] : a.ranges) {
    for (auto [blo, bhi] : b.ranges) {
      const uint32_t lo = std::max(alo, blo), hi = std::min(ahi, bhi);
      if (lo <= hi) out.ranges.emplace_back(lo, hi);
    }
  }
  out.normalize();
  return out;
}

std::string class_char(uint32_t c) {
  char buf[16];
  if (c < 0x10000) {
    std::snprintf(buf, sizeof buf, "\\u%04X", c);
  } else {
    std::snprintf(buf, sizeof buf, "\\U%08X", c);
  }
  return buf;
}

std::string emit_class(const CharSet& s) {
  std::string out = "[";
  for (auto [lo, hi] : s.ranges) {
    out += class_char(lo);
    if (hi != lo) out += "-" + class_char(hi);
  }
  return out + "]";
}

// A literal code point inside a JSON string, as GBNF.
std::string emit_literal(uint32_t c) {
  if (c == '"') return R"("\\\"")";
  if (c == '\\') return R"("\\\\")";
  if (c < 0x20) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "\"\\\\u%04X\"", c);  // GBNF "\\u000A" -> output \u000A
    return buf;
  }
  CharSet s;
  s.ranges.emplace_back(c, c);
  s.normalize();
  return emit_class(s);
}

class RegexParser {
 public:
  explicit RegexParser(const std::string& p) : p_(p) {}

  Result<std::string> run() {
    if (peek() == '^') ++pos_;
    MINERVA_TRY(std::string e, alternation());
    if (pos_ < p_.size()) return err("unexpected ')'");
    return e;
  }

 private:
  Error err(const std::string& what) const {
    return make_error("pattern offset " + std::to_string(pos_) + ": " + what);
  }
  char peek(size_t k = 0) const { return pos_ + k < p_.size() ? p_[pos_ + k] : '\0'; }
  bool at_end() const { return pos_ >= p_.size(); }

  Result<std::string> alternation() {
    std::string out;
    int n = 0;
    for (;;) {
      MINERVA_TRY(std::string seq, sequence());
      out += (n++ == 0 ? "" : " | ") + (seq.empty() ? std::string("\"\"") : seq);
      if (peek() != '|') break;
      ++pos_;
    }
    return n == 1 ? out : "( " + out + " )";
  }

  Result<std::string> sequence() {
    std::string out;
    while (!at_end() && peek() != '|' && peek() != ')') {
      if (peek() == '$' && pos_ + 1 == p_.size()) {
        ++pos_;
        break;
      }
      MINERVA_TRY(std::string atom, parse_atom());
      MINERVA_TRY(std::string item, quantified(atom));
      out += (out.empty() ? "" : " ") + item;
    }
    return out;
  }

  Result<std::string> quantified(const std::string& atom) {
    const char c = peek();
    std::string q;
    if (c == '*' || c == '+' || c == '?') {
      ++pos_;
      q = std::string(1, c);
    } else if (c == '{') {
      size_t end = p_.find('}', pos_);
      if (end == std::string::npos) return err("unterminated {m,n}");
      q = p_.substr(pos_, end - pos_ + 1);
      for (char d : q.substr(1, q.size() - 2)) {
        if (!(d >= '0' && d <= '9') && d != ',') return err("bad quantifier " + q);
      }
      pos_ = end + 1;
    } else {
      return atom;
    }
    if (peek() == '?') ++pos_;  // lazy: the same set of strings
    return "( " + atom + " )" + q;
  }

  Result<CharSet> escape_class(char e) {
    CharSet s;
    switch (e) {
      case 'd':
        s.ranges = {{'0', '9'}};
        break;
      case 'w':
        s.ranges = {{'0', '9'}, {'A', 'Z'}, {'_', '_'}, {'a', 'z'}};
        break;
      case 's':
        s.ranges = {{' ', ' '}};  // other whitespace is a control character a JSON string escapes
        break;
      case 'D':
      case 'W':
      case 'S': {
        MINERVA_TRY(CharSet pos, escape_class(static_cast<char>(e - 'A' + 'a')));
        if (e == 'S') pos.ranges = {{'\t', '\r'}, {' ', ' '}};
        pos.normalize();
        return pos.complement();
      }
      default:
        return err(std::string("unsupported escape '\\") + e + "'");
    }
    s.normalize();
    return s;
  }

  // One escaped code point (after the backslash), for escapes that stand for a single character.
  Result<uint32_t> escape_char(char e) {
    switch (e) {
      case 'n':
        return uint32_t{'\n'};
      case 'r':
        return uint32_t{'\r'};
      case 't':
        return uint32_t{'\t'};
      case 'f':
        return uint32_t{'\f'};
      case 'v':
        return uint32_t{'\v'};
      case 'u': {
        uint32_t v = 0;
        for (int i = 0; i < 4; ++i) {
          const char h = peek();
          const int d = h >= '0' && h <= '9'   ? h - '0'
                        : h >= 'a' && h <= 'f' ? h - 'a' + 10
                        : h >= 'A' && h <= 'F' ? h - 'A' + 10
                                               : -1;
          if (d < 0) return err("\\u needs 4 hex digits");
          v = v * 16 + static_cast<uint32_t>(d);
          ++pos_;
        }
        return v;
      }
      default:
        if (std::string("^$\\.*+?()[]{}|/-\"' ,:#@!&=<>%~`;").find(e) != std::string::npos)
          return static_cast<uint32_t>(e);
        return err(std::string("unsupported escape '\\") + e + "'");
    }
  }

  Result<uint32_t> utf8_char() {
    const auto b = static_cast<unsigned char>(p_[pos_]);
    const int len = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
    if (len == 0 || pos_ + static_cast<size_t>(len) > p_.size()) return err("invalid UTF-8");
    uint32_t cp = len == 1 ? b : len == 2 ? (b & 0x1Fu) : len == 3 ? (b & 0x0Fu) : (b & 0x07u);
    for (int i = 1; i < len; ++i)
      cp = (cp << 6) | (static_cast<unsigned char>(p_[pos_ + static_cast<size_t>(i)]) & 0x3Fu);
    pos_ += static_cast<size_t>(len);
    return cp;
  }

  Result<std::string> parse_atom() {
    const char c = peek();
    if (c == '(') {
      ++pos_;
      if (peek() == '?') {
        if (peek(1) != ':') return err("only (?:...) groups are supported (no lookaround or named groups)");
        pos_ += 2;
      }
      MINERVA_TRY(std::string inner, alternation());
      if (peek() != ')') return err("missing ')'");
      ++pos_;
      return "( " + (inner.empty() ? std::string("\"\"") : inner) + " )";
    }
    if (c == '[') return parse_class();
    if (c == '.') {
      ++pos_;
      CharSet s;
      s.ranges = {{'\n', '\n'}, {'\r', '\r'}, {0x2028, 0x2029}};
      s.normalize();
      return emit_class(intersect(s.complement(), safe_chars()));
    }
    if (c == '*' || c == '+' || c == '?' || c == '{') return err(std::string("nothing to repeat before '") + c + "'");
    if (c == '^' || c == '$') return err("anchors are supported only at the start and end of the pattern");
    if (c == '\\') {
      ++pos_;
      if (at_end()) return err("trailing backslash");
      const char e = p_[pos_++];
      if (std::string("dwsDWS").find(e) != std::string::npos) {
        MINERVA_TRY(CharSet s, escape_class(e));
        const CharSet safe = intersect(s, safe_chars());
        if (safe.ranges.empty()) return err("the class matches no character a JSON string holds unescaped");
        return emit_class(safe);
      }
      if (e >= '1' && e <= '9') return err("backreferences are not supported");
      if (e == 'b' || e == 'B') return err("word boundaries are not supported");
      MINERVA_TRY(uint32_t cp, escape_char(e));
      return emit_literal(cp);
    }
    MINERVA_TRY(uint32_t cp, utf8_char());
    return emit_literal(cp);
  }

  Result<std::string> parse_class() {
    const size_t open = pos_;
    ++pos_;
    bool negate = false;
    if (peek() == '^') {
      negate = true;
      ++pos_;
    }
    CharSet s;
    bool first = true;
    while (!at_end() && (peek() != ']' || first)) {
      first = false;
      uint32_t lo = 0;
      if (peek() == '\\') {
        ++pos_;
        if (at_end()) return err("trailing backslash");
        const char e = p_[pos_++];
        if (std::string("dwsDWS").find(e) != std::string::npos) {
          MINERVA_TRY(CharSet sub, escape_class(e));
          s.ranges.insert(s.ranges.end(), sub.ranges.begin(), sub.ranges.end());
          continue;
        }
        if (e == 'b') {
          lo = '\b';
        } else {
          MINERVA_TRY(lo, escape_char(e));
        }
      } else {
        MINERVA_TRY(lo, utf8_char());
      }
      uint32_t hi = lo;
      if (peek() == '-' && peek(1) != ']' && pos_ + 1 < p_.size()) {
        ++pos_;
        if (peek() == '\\') {
          ++pos_;
          if (at_end()) return err("trailing backslash");
          const char e = p_[pos_++];
          MINERVA_TRY(hi, escape_char(e));
        } else {
          MINERVA_TRY(hi, utf8_char());
        }
        if (hi < lo) return err("reversed range in class");
      }
      s.ranges.emplace_back(lo, hi);
    }
    if (at_end()) {
      pos_ = open;
      return err("unterminated character class");
    }
    ++pos_;
    s.normalize();
    if (negate) s = s.complement();
    const CharSet safe = intersect(s, safe_chars());
    if (safe.ranges.empty()) return err("the class matches no character a JSON string holds unescaped");
    return emit_class(safe);
  }

  const std::string& p_;
  size_t pos_ = 0;
};

}  // namespace

Result<std::string> pattern_to_gbnf(const std::string& pattern) {
  RegexParser p(pattern);
  auto r = p.run();
  if (!r) return r;
  return r.value().empty() ? std::string("\"\"") : r.value();
}

}  // namespace minerva::grammar
