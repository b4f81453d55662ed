// Lexer: splits template source into text and tag tokens, applying Jinja2 whitespace control
// (trim_blocks, lstrip_blocks, {%- -%}, {%+ +%}), comments and raw blocks.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <string>

#include "chat/ast.h"

namespace minerva::chat {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
bool is_name_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_'; }
bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }

class Lexer {
 public:
  explicit Lexer(std::string src) : src_(std::move(src)) {
    line_starts_.push_back(0);
    for (size_t k = 0; k < src_.size(); ++k) {
      if (src_[k] == '\n') line_starts_.push_back(k + 1);
    }
  }

  Result<std::vector<Token>> run() {
    size_t pos = 0;
    bool line_starting = true;
    while (pos < src_.size()) {
      size_t tag = find_tag(pos);
      std::string text = src_.substr(pos, tag - pos);
      if (tag == src_.size()) {
        emit_text(std::move(text), pos);
        break;
      }
      char kind = src_[tag + 1];  // '{', '%' or '#'
      char mod = tag + 2 < src_.size() ? src_[tag + 2] : '\0';
      if (mod == '-') {
        while (!text.empty() && is_space(text.back())) text.pop_back();
      } else if (kind != '{' && mod != '+') {
        strip_line_start(text, line_starting);
      }
      emit_text(std::move(text), pos);
      size_t inner = tag + 2 + ((mod == '-' || mod == '+') ? 1 : 0);
      size_t end = 0;
      if (kind == '#') {
        size_t close = src_.find("#}", inner);
        if (close == std::string::npos) return error_at(tag, "unterminated comment");
        end = close + 2;
        if (close > inner && src_[close - 1] == '-') {
          while (end < src_.size() && is_space(src_[end])) ++end;
        } else if (close > inner && src_[close - 1] == '+') {
          // keep the newline
        } else if (end < src_.size() && src_[end] == '\n') {
          ++end;
        }
      } else if (kind == '%' && is_raw(inner, "raw")) {
        MINERVA_TRY(end, lex_raw(tag, inner));
      } else {
        MINERVA_TRY(end, lex_tag(tag, inner, kind == '{'));
      }
      line_starting = end > 0 && src_[end - 1] == '\n';
      pos = end;
    }
    Token eof{Token::Kind::kEof, pos_of(src_.size()), "", 0, 0};
    tokens_.push_back(eof);
    return std::move(tokens_);
  }

 private:
  Pos pos_of(size_t offset) const {
    auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
    size_t line = static_cast<size_t>(it - line_starts_.begin());
    return Pos{static_cast<int>(line), static_cast<int>(offset - line_starts_[line - 1] + 1)};
  }

  Error error_at(size_t offset, const std::string& msg) const {
    Pos p = pos_of(offset);
    return make_error("TemplateSyntaxError: " + msg + " at line " + std::to_string(p.line) + ":" +
                      std::to_string(p.col));
  }

  size_t find_tag(size_t pos) const {
    while (true) {
      size_t k = src_.find('{', pos);
      if (k == std::string::npos || k + 1 >= src_.size()) return src_.size();
      char c = src_[k + 1];
      if (c == '{' || c == '%' || c == '#') return k;
      pos = k + 1;
    }
  }

  // lstrip_blocks: drop the spaces and tabs between the last line start and a block tag.
  static void strip_line_start(std::string& text, bool line_starting) {
    size_t l_pos = text.rfind('\n');
    l_pos = l_pos == std::string::npos ? 0 : l_pos + 1;
    if (l_pos == 0 && !line_starting) return;
    bool all_ws = l_pos < text.size();
    for (size_t k = l_pos; k < text.size(); ++k) all_ws = all_ws && is_space(text[k]);
    if (all_ws) text.resize(l_pos);
  }

  void emit_text(std::string text, size_t offset) {
    if (text.empty()) return;
    tokens_.push_back(Token{Token::Kind::kText, pos_of(offset), std::move(text), 0, 0});
  }

  // Whether src_[pos..] is "\s*<word>\s*[-+]?%}" ; sets *tag_end past the closing %}.
  bool is_raw(size_t pos, const char* word, size_t* tag_end = nullptr, bool* strip_after = nullptr) const {
    while (pos < src_.size() && is_space(src_[pos])) ++pos;
    size_t len = std::char_traits<char>::length(word);
    if (src_.compare(pos, len, word) != 0) return false;
    pos += len;
    if (pos < src_.size() && is_name_char(src_[pos])) return false;
    while (pos < src_.size() && is_space(src_[pos])) ++pos;
    bool strip = false;
    if (pos < src_.size() && (src_[pos] == '-' || src_[pos] == '+')) {
      strip = src_[pos] == '-';
      ++pos;
    }
    if (src_.compare(pos, 2, "%}") != 0) return false;
    if (tag_end != nullptr) *tag_end = pos + 2;
    if (strip_after != nullptr) *strip_after = strip;
    return true;
  }

  Result<size_t> lex_raw(size_t tag, size_t inner) {
    size_t begin_end = 0;
    bool strip = false;
    is_raw(inner, "raw", &begin_end, &strip);
    if (strip) {
      while (begin_end < src_.size() && is_space(src_[begin_end])) ++begin_end;
    }
    size_t search = begin_end;
    while (true) {
      size_t k = src_.find("{%", search);
      if (k == std::string::npos) return error_at(tag, "unterminated raw block");
      char mod = k + 2 < src_.size() ? src_[k + 2] : '\0';
      size_t in = k + 2 + ((mod == '-' || mod == '+') ? 1 : 0);
      size_t end = 0;
      bool strip_after = false;
      if (is_raw(in, "endraw", &end, &strip_after)) {
        std::string text = src_.substr(begin_end, k - begin_end);
        if (mod == '-') {
          while (!text.empty() && is_space(text.back())) text.pop_back();
        } else if (mod != '+') {
          // lstrip_blocks applies to {% endraw %} as to any block tag.
          bool line_starting = begin_end > 0 && src_[begin_end - 1] == '\n';
          strip_line_start(text, line_starting);
        }
        emit_text(std::move(text), begin_end);
        if (strip_after) {
          while (end < src_.size() && is_space(src_[end])) ++end;
        } else if (src_[end - 3] != '+' && end < src_.size() && src_[end] == '\n') {
          ++end;
        }
        return end;
      }
      search = k + 2;
    }
  }

  // Lexes the inside of {{ }} or {% %}; returns the offset just past the tag.
  Result<size_t> lex_tag(size_t tag, size_t pos, bool variable) {
    tokens_.push_back(Token{variable ? Token::Kind::kVarBegin : Token::Kind::kBlockBegin, pos_of(tag), "", 0, 0});
    int depth = 0;
    while (true) {
      while (pos < src_.size() && is_space(src_[pos])) ++pos;
      if (pos >= src_.size()) return error_at(tag, variable ? "unterminated '{{'" : "unterminated '{%'");
      if (depth == 0) {
        const char* close = variable ? "}}" : "%}";
        size_t skip = 0;
        bool strip = false;
        bool keep = false;
        if (src_.compare(pos, 2, close) == 0) {
          skip = 2;
        } else if (src_[pos] == '-' && src_.compare(pos + 1, 2, close) == 0) {
          skip = 3;
          strip = true;
        } else if (!variable && src_[pos] == '+' && src_.compare(pos + 1, 2, close) == 0) {
          skip = 3;
          keep = true;
        }
        if (skip > 0) {
          tokens_.push_back(Token{variable ? Token::Kind::kVarEnd : Token::Kind::kBlockEnd, pos_of(pos), "", 0, 0});
          size_t end = pos + skip;
          if (strip) {
            while (end < src_.size() && is_space(src_[end])) ++end;
          } else if (!variable && !keep && end < src_.size() && src_[end] == '\n') {
            ++end;
          }
          return end;
        }
      }
      char c = src_[pos];
      Pos p = pos_of(pos);
      if (is_name_start(c)) {
        size_t b = pos;
        while (pos < src_.size() && is_name_char(src_[pos])) ++pos;
        tokens_.push_back(Token{Token::Kind::kName, p, src_.substr(b, pos - b), 0, 0});
      } else if (std::isdigit(static_cast<unsigned char>(c)) != 0) {
        MINERVA_TRY(pos, lex_number(pos));
      } else if (c == '\'' || c == '"') {
        MINERVA_TRY(pos, lex_string(pos));
      } else {
        static const char* kOps[] = {"//", "**", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<",
                                     ">",  "=",  "(",  ")",  "[",  "]",  "{", "}", ",", ".", ":", "|", ";"};
        std::string op;
        for (const char* o : kOps) {
          if (src_.compare(pos, std::char_traits<char>::length(o), o) == 0) {
            op = o;
            break;
          }
        }
        if (op.empty()) return error_at(pos, std::string("unexpected character '") + c + "'");
        if (op == "(" || op == "[" || op == "{") ++depth;
        if (op == ")" || op == "]" || op == "}") {
          if (depth == 0) return error_at(pos, "unexpected '" + op + "'");
          --depth;
        }
        pos += op.size();
        tokens_.push_back(Token{Token::Kind::kOp, p, op, 0, 0});
      }
    }
  }

  Result<size_t> lex_number(size_t pos) {
    size_t b = pos;
    Pos p = pos_of(pos);
    auto digits = [&] {
      while (pos < src_.size() && (std::isdigit(static_cast<unsigned char>(src_[pos])) != 0 || src_[pos] == '_')) {
        ++pos;
      }
    };
    digits();
    bool is_float = false;
    bool after_dot = !tokens_.empty() && tokens_.back().kind == Token::Kind::kOp && tokens_.back().text == ".";
    if (!after_dot && pos + 1 < src_.size() && src_[pos] == '.' &&
        std::isdigit(static_cast<unsigned char>(src_[pos + 1])) != 0) {
      is_float = true;
      ++pos;
      digits();
    }
    if (!after_dot && pos < src_.size() && (src_[pos] == 'e' || src_[pos] == 'E')) {
      size_t e = pos + 1;
      if (e < src_.size() && (src_[e] == '+' || src_[e] == '-')) ++e;
      if (e < src_.size() && std::isdigit(static_cast<unsigned char>(src_[e])) != 0) {
        is_float = true;
        pos = e;
        digits();
      }
    }
    std::string text;
    for (size_t k = b; k < pos; ++k) {
      if (src_[k] != '_') text += src_[k];
    }
    Token t{is_float ? Token::Kind::kFloat : Token::Kind::kInt, p, text, 0, 0};
    if (is_float) {
      t.float_value = std::strtod(text.c_str(), nullptr);
    } else {
      auto res = std::from_chars(text.data(), text.data() + text.size(), t.int_value);
      if (res.ec != std::errc()) return error_at(b, "integer literal too large");
    }
    tokens_.push_back(std::move(t));
    return pos;
  }

  Result<size_t> lex_string(size_t pos) {
    size_t b = pos;
    char q = src_[pos++];
    std::string out;
    while (true) {
      if (pos >= src_.size()) return error_at(b, "unterminated string");
      char c = src_[pos++];
      if (c == q) break;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos >= src_.size()) return error_at(b, "unterminated string");
      char e = src_[pos++];
      auto hex = [&](int n) -> Result<uint32_t> {
        uint32_t v = 0;
        for (int k = 0; k < n; ++k) {
          if (pos >= src_.size() || std::isxdigit(static_cast<unsigned char>(src_[pos])) == 0) {
            return error_at(b, "bad escape in string");
          }
          char h = src_[pos++];
          v = v * 16 + static_cast<uint32_t>(std::isdigit(static_cast<unsigned char>(h)) != 0
                                                 ? h - '0'
                                                 : std::tolower(static_cast<unsigned char>(h)) - 'a' + 10);
        }
        return v;
      };
      switch (e) {
        case 'n':
          out += '\n';
          break;
        case 't':
          out += '\t';
          break;
        case 'r':
          out += '\r';
          break;
        case '\\':
          out += '\\';
          break;
        case '\'':
          out += '\'';
          break;
        case '"':
          out += '"';
          break;
        case 'a':
          out += '\a';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'v':
          out += '\v';
          break;
        case '\n':
          break;
        case 'x': {
          MINERVA_TRY(uint32_t v, hex(2));
          append_utf8(out, v);
          break;
        }
        case 'u': {
          MINERVA_TRY(uint32_t v, hex(4));
          append_utf8(out, v);
          break;
        }
        case 'U': {
          MINERVA_TRY(uint32_t v, hex(8));
          if (v > 0x10ffff) return error_at(b, "bad escape in string");
          append_utf8(out, v);
          break;
        }
        default:
          if (e >= '0' && e <= '7') {
            uint32_t v = static_cast<uint32_t>(e - '0');
            for (int k = 0; k < 2 && pos < src_.size() && src_[pos] >= '0' && src_[pos] <= '7'; ++k) {
              v = v * 8 + static_cast<uint32_t>(src_[pos++] - '0');
            }
            append_utf8(out, v);
          } else {
            out += '\\';
            out += e;
          }
      }
    }
    tokens_.push_back(Token{Token::Kind::kString, pos_of(b), std::move(out), 0, 0});
    return pos;
  }

  std::string src_;
  std::vector<size_t> line_starts_;
  std::vector<Token> tokens_;
};

}  // namespace

Result<std::vector<Token>> tokenize(std::string_view source) {
  // Jinja2 normalizes newlines and (keep_trailing_newline=False) drops one trailing newline.
  std::string src;
  src.reserve(source.size());
  for (size_t k = 0; k < source.size(); ++k) {
    if (source[k] == '\r') {
      src += '\n';
      if (k + 1 < source.size() && source[k + 1] == '\n') ++k;
    } else {
      src += source[k];
    }
  }
  if (!src.empty() && src.back() == '\n') src.pop_back();
  return Lexer(std::move(src)).run();
}

}  // namespace minerva::chat
