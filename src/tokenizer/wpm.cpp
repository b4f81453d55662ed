// WordPiece: normalization and word splitting on code points (utf8proc for NFD, categories and lowercase),
// then per word the longest vocab prefix, again and again; a word with an unmatched rest is one unknown token.
#include "tokenizer/wpm.h"

#include <utf8proc.h>

#include <algorithm>
#include <array>
#include <string>

namespace minerva::wpm {
namespace {

constexpr std::string_view kWordStart = "\xE2\x96\x81";  // ▁

bool is_chinese(int32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
         (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B820 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

bool is_whitespace(int32_t c, utf8proc_category_t cat) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' || c == 0x85 ||
         cat == UTF8PROC_CATEGORY_ZS || cat == UTF8PROC_CATEGORY_ZL || cat == UTF8PROC_CATEGORY_ZP;
}

bool is_control(utf8proc_category_t cat) {
  return cat == UTF8PROC_CATEGORY_CC || cat == UTF8PROC_CATEGORY_CF || cat == UTF8PROC_CATEGORY_CN ||
         cat == UTF8PROC_CATEGORY_CO || cat == UTF8PROC_CATEGORY_CS;
}

// HF's _is_punctuation: every ASCII non-alphanumeric printable, and Unicode P*.
bool is_punctuation(int32_t c, utf8proc_category_t cat) {
  if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126)) return true;
  return cat >= UTF8PROC_CATEGORY_PC && cat <= UTF8PROC_CATEGORY_PO;
}

void append_utf8(std::string& s, int32_t c) {
  std::array<utf8proc_uint8_t, 4> buf{};
  const utf8proc_ssize_t n = utf8proc_encode_char(c, buf.data());
  s.append(reinterpret_cast<const char*>(buf.data()), static_cast<size_t>(n));
}

// Greedy longest-prefix WordPiece over "▁" + word; unk for the whole word when some rest matches nothing.
void encode_word(const Vocab& vocab, std::string& word, size_t chars, std::vector<Token>& out) {
  if (word.size() == kWordStart.size()) return;  // empty word
  const Token unk = vocab.unk();
  if (chars > kMaxWordChars) {
    if (unk >= 0) out.push_back(unk);
    return;
  }
  const size_t first = out.size();
  const size_t n = word.size();
  const size_t max_len = vocab.max_token_len();
  const std::string_view w(word);
  for (size_t i = 0; i < n;) {
    size_t j = std::min(n, i + max_len);
    Token t = -1;
    for (; j > i; --j) {
      t = vocab.find(w.substr(i, j - i));
      if (t >= 0) break;
    }
    if (t < 0) {
      out.resize(first);
      break;
    }
    out.push_back(t);
    i = j;
  }
  if (out.size() == first && unk >= 0) out.push_back(unk);
}

}  // namespace

void encode(const Vocab& vocab, std::string_view text, std::vector<Token>& out) {
  std::string word(kWordStart);
  size_t chars = 0;
  auto finish = [&] {
    encode_word(vocab, word, chars, out);
    word.resize(kWordStart.size());
    chars = 0;
  };
  std::array<utf8proc_int32_t, 32> parts{};
  const auto* u = reinterpret_cast<const utf8proc_uint8_t*>(text.data());
  for (size_t i = 0; i < text.size();) {
    utf8proc_int32_t c = 0;
    const utf8proc_ssize_t len =
        utf8proc_iterate(u + i, static_cast<utf8proc_ssize_t>(std::min<size_t>(text.size() - i, 4)), &c);
    if (len <= 0) {  // not valid UTF-8: dropped, as HF drops U+FFFD
      ++i;
      continue;
    }
    i += static_cast<size_t>(len);
    int boundclass = 0;
    utf8proc_ssize_t n = utf8proc_decompose_char(c, parts.data(), static_cast<utf8proc_ssize_t>(parts.size()),
                                                 UTF8PROC_DECOMPOSE, &boundclass);
    if (n <= 0 || n > static_cast<utf8proc_ssize_t>(parts.size())) {
      parts[0] = c;
      n = 1;
    }
    for (utf8proc_ssize_t k = 0; k < n; ++k) {
      const int32_t d = parts[static_cast<size_t>(k)];
      const auto cat = utf8proc_category(d);
      if (is_whitespace(d, cat)) {
        finish();
        continue;
      }
      if (d == 0 || d == 0xFFFD || is_control(cat) || cat == UTF8PROC_CATEGORY_MN) continue;  // clean, strip accents
      const int32_t lower = utf8proc_tolower(d);
      if (is_punctuation(d, cat) || is_chinese(d)) {
        finish();
        append_utf8(word, lower);
        chars = 1;
        finish();
        continue;
      }
      append_utf8(word, lower);
      ++chars;
    }
  }
  finish();
}

}  // namespace minerva::wpm
