// Python str case mapping (upper, lower, title, capitalize, islower, isupper) over code points,
// covering ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic; other scripts are uncased.
#include <string>
#include <vector>

#include "chat/interp.h"

namespace minerva::chat {
namespace {

uint32_t to_upper(uint32_t c) {
  if (c >= 'a' && c <= 'z') return c - 32;
  if (c < 0x80) return c;
  if ((c >= 0xe0 && c <= 0xfe && c != 0xf7)) return c - 0x20;
  if (c == 0xff) return 0x178;
  if (c >= 0x100 && c <= 0x17f) {
    bool odd_lower = (c <= 0x137) || (c >= 0x14a && c <= 0x177);
    bool even_lower = (c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17e);
    if (odd_lower && (c & 1) != 0) return c - 1;
    if (even_lower && (c & 1) == 0) return c - 1;
    return c;
  }
  if (c >= 0x3b1 && c <= 0x3c9) return c == 0x3c2 ? 0x3a3 : c - 0x20;
  if (c == 0x3ac) return 0x386;
  if (c >= 0x3ad && c <= 0x3af) return c - 0x25;
  if (c == 0x3cc) return 0x38c;
  if (c == 0x3cd || c == 0x3ce) return c - 0x3f;
  if (c >= 0x430 && c <= 0x44f) return c - 0x20;
  if (c >= 0x450 && c <= 0x45f) return c - 0x50;
  return c;
}

uint32_t to_lower(uint32_t c) {
  if (c >= 'A' && c <= 'Z') return c + 32;
  if (c < 0x80) return c;
  if (c >= 0xc0 && c <= 0xde && c != 0xd7) return c + 0x20;
  if (c == 0x178) return 0xff;
  if (c >= 0x100 && c <= 0x17f) {
    bool even_upper = (c <= 0x137) || (c >= 0x14a && c <= 0x177);
    bool odd_upper = (c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17e);
    if (even_upper && (c & 1) == 0) return c + 1;
    if (odd_upper && (c & 1) != 0) return c + 1;
    return c;
  }
  if (c >= 0x391 && c <= 0x3a9 && c != 0x3a2) return c + 0x20;
  if (c == 0x386) return 0x3ac;
  if (c >= 0x388 && c <= 0x38a) return c + 0x25;
  if (c == 0x38c) return 0x3cc;
  if (c == 0x38e || c == 0x38f) return c + 0x3f;
  if (c >= 0x410 && c <= 0x42f) return c + 0x20;
  if (c >= 0x400 && c <= 0x40f) return c + 0x50;
  return c;
}

bool is_upper(uint32_t c) { return to_lower(c) != c; }
bool is_lower(uint32_t c) { return to_upper(c) != c || c == 0xdf; }
bool is_cased(uint32_t c) { return is_upper(c) || is_lower(c); }

std::vector<uint32_t> decode(const std::string& s) {
  std::vector<uint32_t> out;
  for (size_t k = 0; k < s.size();) {
    auto u = static_cast<unsigned char>(s[k]);
    int extra = u >= 0xf0 ? 3 : (u >= 0xe0 ? 2 : (u >= 0xc0 ? 1 : 0));
    if (extra > 0 && k + static_cast<size_t>(extra) >= s.size()) extra = 0;  // truncated: keep the byte
    uint32_t cp = extra == 0 ? u : (u & (0x3fu >> extra));
    for (int n = 1; n <= extra; ++n)
      cp = (cp << 6) | (static_cast<unsigned char>(s[k + static_cast<size_t>(n)]) & 0x3f);
    out.push_back(cp);
    k += static_cast<size_t>(extra) + 1;
  }
  return out;
}

std::string encode(const std::vector<uint32_t>& cps) {
  std::string out;
  for (uint32_t c : cps) append_utf8(out, c);
  return out;
}

bool all_cased_as(const std::string& s, bool upper) {
  bool cased = false;
  for (uint32_t c : decode(s)) {
    if (upper ? is_lower(c) : is_upper(c)) return false;
    cased = cased || is_cased(c);
  }
  return cased;
}

bool has_non_ascii(const std::string& s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return true;
  }
  return false;
}

}  // namespace

std::string py_upper(const std::string& s) {
  if (!has_non_ascii(s)) {
    std::string out = s;
    for (char& c : out) c = static_cast<char>(to_upper(static_cast<unsigned char>(c)));
    return out;
  }
  auto cps = decode(s);
  for (auto& c : cps) c = to_upper(c);
  return encode(cps);
}

std::string py_lower(const std::string& s) {
  if (!has_non_ascii(s)) {
    std::string out = s;
    for (char& c : out) c = static_cast<char>(to_lower(static_cast<unsigned char>(c)));
    return out;
  }
  auto cps = decode(s);
  for (auto& c : cps) c = to_lower(c);
  return encode(cps);
}

std::string py_title(const std::string& s) {
  auto cps = decode(s);
  bool prev_cased = false;
  for (auto& c : cps) {
    c = prev_cased ? to_lower(c) : to_upper(c);
    prev_cased = is_cased(c);
  }
  return encode(cps);
}

std::string py_capitalize(const std::string& s) {
  auto cps = decode(s);
  for (size_t k = 0; k < cps.size(); ++k) cps[k] = k == 0 ? to_upper(cps[k]) : to_lower(cps[k]);
  return encode(cps);
}

std::string jinja_title(const std::string& s) {
  auto cps = decode(s);
  bool start = true;
  for (auto& c : cps) {
    if (c == ' ' || (c >= '\t' && c <= '\r') || c == '-' || c == '(' || c == '{' || c == '[' || c == '<') {
      start = true;
      continue;
    }
    c = start ? to_upper(c) : to_lower(c);
    start = false;
  }
  return encode(cps);
}

bool py_islower(const std::string& s) { return all_cased_as(s, false); }
bool py_isupper(const std::string& s) { return all_cased_as(s, true); }

}  // namespace minerva::chat
