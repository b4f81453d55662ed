// tokenizer.json normalizers (NFC/NFD/NFKC/NFKD via utf8proc, Lowercase, Strip, StripAccents, Prepend, Replace,
// BertNormalizer, Sequence), the String/Regex pattern and the Unicode predicates HF's Rust code uses.
#include <utf8proc.h>

#include <cstdlib>

#include "tokenizer/hf.h"

namespace minerva::hf {

int32_t next_cp(std::string_view s, size_t& i) {
  const auto* u = reinterpret_cast<const uint8_t*>(s.data());
  const uint8_t b = u[i];
  int32_t cp = 0;
  size_t n = 1;
  if (b < 0x80) {
    cp = b;
  } else if (b < 0xE0) {
    cp = b & 0x1F, n = 2;
  } else if (b < 0xF0) {
    cp = b & 0x0F, n = 3;
  } else {
    cp = b & 0x07, n = 4;
  }
  if (i + n > s.size()) n = s.size() - i;  // only for text that skipped sanitize_utf8; never reads past the end
  for (size_t k = 1; k < n; ++k) cp = (cp << 6) | (u[i + k] & 0x3F);
  i += n;
  return cp;
}

void append_cp(std::string& out, int32_t cp) {
  utf8proc_uint8_t buf[4];
  const utf8proc_ssize_t n = utf8proc_encode_char(cp, buf);
  out.append(reinterpret_cast<const char*>(buf), static_cast<size_t>(n));
}

std::string sanitize_utf8(std::string_view s) {
  const auto* u = reinterpret_cast<const uint8_t*>(s.data());
  const size_t n = s.size();
  std::string out;
  out.reserve(n);
  for (size_t i = 0; i < n;) {
    const uint8_t b = u[i];
    if (b < 0x80) {
      out += static_cast<char>(b);
      ++i;
      continue;
    }
    // Expected length and the allowed range of the second byte (no overlongs, surrogates, > U+10FFFF).
    size_t want = 0;
    uint8_t lo = 0x80, hi = 0xBF;
    if (b >= 0xC2 && b <= 0xDF) {
      want = 2;
    } else if (b >= 0xE0 && b <= 0xEF) {
      want = 3, lo = b == 0xE0 ? 0xA0 : 0x80, hi = b == 0xED ? 0x9F : 0xBF;
    } else if (b >= 0xF0 && b <= 0xF4) {
      want = 4, lo = b == 0xF0 ? 0x90 : 0x80, hi = b == 0xF4 ? 0x8F : 0xBF;
    }
    size_t good = want == 0 ? 0 : 1;  // bytes of a well-formed prefix
    while (good > 0 && good < want && i + good < n) {
      const uint8_t c = u[i + good];
      const bool ok = good == 1 ? (c >= lo && c <= hi) : (c >= 0x80 && c <= 0xBF);
      if (!ok) break;
      ++good;
    }
    if (want != 0 && good == want) {
      out.append(s.substr(i, want));
      i += want;
    } else {
      out += "\xEF\xBF\xBD";  // one U+FFFD per maximal invalid subpart, as Python's errors="replace"
      i += good == 0 ? 1 : good;
    }
  }
  return out;
}

bool is_whitespace(int32_t c) {
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

bool is_punctuation(int32_t c) {
  if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126)) return true;
  const utf8proc_category_t cat = utf8proc_category(c);
  return cat >= UTF8PROC_CATEGORY_PC && cat <= UTF8PROC_CATEGORY_PO;
}

bool is_numeric(int32_t c) {
  const utf8proc_category_t cat = utf8proc_category(c);
  return cat == UTF8PROC_CATEGORY_ND || cat == UTF8PROC_CATEGORY_NL || cat == UTF8PROC_CATEGORY_NO;
}

bool is_alphanumeric(int32_t c) {
  const utf8proc_category_t cat = utf8proc_category(c);
  return (cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO) || is_numeric(c);
}

bool Pattern::find(std::string_view s, size_t start, size_t* begin, size_t* end) const {
  if (regex.valid()) return regex.find(s, start, begin, end);
  if (literal.empty()) return false;
  const size_t at = s.find(literal, start);
  if (at == std::string_view::npos) return false;
  *begin = at;
  *end = at + literal.size();
  return true;
}

Result<Pattern> make_pattern(const json& obj, const std::string& path) {
  if (!obj.is_object())
    return field_error(path, "is " + type_name(obj) + ", expected {\"String\": ...} or {\"Regex\": ...}");
  Pattern p;
  if (find(obj, "String") != nullptr) {
    MINERVA_TRY(p.literal, get_string(obj, "String", path));
    if (p.literal.empty()) return field_error(join_path(path, "String"), "is empty");
    return p;
  }
  if (find(obj, "Regex") != nullptr) {
    MINERVA_TRY(const std::string re, get_string(obj, "Regex", path));
    auto compiled = Regex::compile(re);
    if (!compiled.ok()) return field_error(join_path(path, "Regex"), compiled.error().message);
    p.regex = std::move(compiled).value();
    return p;
  }
  return field_error(path, "has neither \"String\" nor \"Regex\"");
}

namespace {

// Replaces every match of `p` in s by `content`.
std::string replace_all(const Pattern& p, std::string_view s, std::string_view content) {
  std::string out;
  size_t pos = 0, b = 0, e = 0;
  while (pos <= s.size() && p.find(s, pos, &b, &e)) {
    out.append(s.substr(pos, b - pos));
    out.append(content);
    pos = e;
  }
  out.append(s.substr(std::min(pos, s.size())));
  return out;
}

Result<Normalizer> unicode_form(int options) {
  return Normalizer([options](std::string& s) {
    if (s.empty()) return;
    utf8proc_uint8_t* out = nullptr;
    const utf8proc_ssize_t n =
        utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(s.data()), static_cast<utf8proc_ssize_t>(s.size()), &out,
                     static_cast<utf8proc_option_t>(options | UTF8PROC_STABLE));
    if (n >= 0 && out != nullptr) s.assign(reinterpret_cast<const char*>(out), static_cast<size_t>(n));
    std::free(out);  // NOLINT(cppcoreguidelines-no-malloc): utf8proc allocates with malloc
  });
}

template <typename F>
void map_cps(std::string& s, F&& f) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) f(next_cp(s, i), out);
  s = std::move(out);
}

void lowercase(std::string& s) {
  map_cps(s, [](int32_t c, std::string& out) {
    append_cp(out, c < 0x80 ? (c >= 'A' && c <= 'Z' ? c + 32 : c) : utf8proc_tolower(c));
  });
}

bool is_mark(int32_t c) {
  const utf8proc_category_t cat = utf8proc_category(c);
  return cat == UTF8PROC_CATEGORY_MN || cat == UTF8PROC_CATEGORY_MC || cat == UTF8PROC_CATEGORY_ME;
}

bool is_chinese(int32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
         (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B820 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

Result<Normalizer> bert_normalizer(const json& j, const std::string& path) {
  MINERVA_TRY(const bool clean, get_bool_or(j, "clean_text", path, true));
  MINERVA_TRY(const bool chinese, get_bool_or(j, "handle_chinese_chars", path, true));
  MINERVA_TRY(const bool lower, get_bool_or(j, "lowercase", path, true));
  MINERVA_TRY(const bool strip, get_bool_or(j, "strip_accents", path, lower));  // null: follows lowercase
  MINERVA_TRY(Normalizer nfd, unicode_form(UTF8PROC_DECOMPOSE));
  return Normalizer([=](std::string& s) {
    if (clean) {
      map_cps(s, [](int32_t c, std::string& out) {
        if (c == 0 || c == 0xFFFD) return;
        const utf8proc_category_t cat = utf8proc_category(c);
        const bool control = c != '\t' && c != '\n' && c != '\r' &&
                             (cat == UTF8PROC_CATEGORY_CC || cat == UTF8PROC_CATEGORY_CF ||
                              cat == UTF8PROC_CATEGORY_CN || cat == UTF8PROC_CATEGORY_CO);
        if (control) return;
        const bool space = c == ' ' || c == '\t' || c == '\n' || c == '\r' || cat == UTF8PROC_CATEGORY_ZS;
        append_cp(out, space ? ' ' : c);
      });
    }
    if (chinese) {
      map_cps(s, [](int32_t c, std::string& out) {
        if (is_chinese(c)) out += ' ';
        append_cp(out, c);
        if (is_chinese(c)) out += ' ';
      });
    }
    if (strip) {
      nfd(s);
      map_cps(s, [](int32_t c, std::string& out) {
        if (utf8proc_category(c) != UTF8PROC_CATEGORY_MN) append_cp(out, c);
      });
    }
    if (lower) lowercase(s);
  });
}

}  // namespace

Result<Normalizer> make_normalizer(const json& j, const std::string& path) {
  if (j.is_null()) return Normalizer{};
  MINERVA_TRY(const std::string type, get_type(j, path));
  if (type == "NFC") return unicode_form(UTF8PROC_COMPOSE);
  if (type == "NFD") return unicode_form(UTF8PROC_DECOMPOSE);
  if (type == "NFKC") return unicode_form(UTF8PROC_COMPOSE | UTF8PROC_COMPAT);
  if (type == "NFKD") return unicode_form(UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT);
  if (type == "Lowercase") return Normalizer(lowercase);
  if (type == "StripAccents") {
    return Normalizer([](std::string& s) {
      map_cps(s, [](int32_t c, std::string& out) {
        if (!is_mark(c)) append_cp(out, c);
      });
    });
  }
  if (type == "Strip") {
    MINERVA_TRY(const bool left, get_bool_or(j, "strip_left", path, true));
    MINERVA_TRY(const bool right, get_bool_or(j, "strip_right", path, true));
    return Normalizer([=](std::string& s) {
      size_t b = 0, e = s.size();
      while (left && b < s.size()) {
        size_t i = b;
        if (!is_whitespace(next_cp(s, i))) break;
        b = i;
      }
      if (right) {
        size_t last_non_space = b;
        for (size_t i = b; i < s.size();) {
          if (!is_whitespace(next_cp(s, i))) last_non_space = i;
        }
        e = last_non_space;
      }
      s = s.substr(b, e - b);
    });
  }
  if (type == "Prepend") {
    MINERVA_TRY(const std::string prefix, get_string(j, "prepend", path));
    return Normalizer([prefix](std::string& s) {
      if (!s.empty()) s.insert(0, prefix);
    });
  }
  if (type == "Replace") {
    MINERVA_TRY(const json* pat, require(j, "pattern", path));
    MINERVA_TRY(const Pattern p, make_pattern(*pat, join_path(path, "pattern")));
    MINERVA_TRY(const std::string content, get_string(j, "content", path));
    return Normalizer([p, content](std::string& s) { s = replace_all(p, s, content); });
  }
  if (type == "BertNormalizer") return bert_normalizer(j, path);
  if (type == "Sequence") {
    MINERVA_TRY(const json* list, require(j, "normalizers", path));
    if (!list->is_array())
      return field_error(join_path(path, "normalizers"), "is " + type_name(*list) + ", expected an array");
    std::vector<Normalizer> parts;
    for (size_t i = 0; i < list->size(); ++i) {
      MINERVA_TRY(Normalizer n, make_normalizer((*list)[i], join_path(path, "normalizers[" + std::to_string(i) + "]")));
      if (n) parts.push_back(std::move(n));
    }
    if (parts.empty()) return Normalizer{};
    return Normalizer([parts](std::string& s) {
      for (const Normalizer& n : parts) n(s);
    });
  }
  return field_error(join_path(path, "type"), "is '" + type +
                                                  "', not a supported normalizer (NFC, NFD, NFKC, NFKD, Lowercase, "
                                                  "StripAccents, Strip, Prepend, Replace, BertNormalizer, Sequence)");
}

}  // namespace minerva::hf
