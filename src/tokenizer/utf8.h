// Minimal UTF-8 helpers for the tokenizer: split text into characters without ever trusting the input.
#pragma once

#include <cstddef>
#include <cstdint>

namespace minerva::utf8 {

// Bytes a sequence starting with `lead` should have: 1 for ASCII, 2-4 for lead bytes, 0 for a byte that cannot
// start a sequence (a continuation byte, 0xC0/0xC1, 0xF5-0xFF).
inline int expected_len(uint8_t lead) {
  if (lead < 0x80) return 1;
  if (lead < 0xC2) return 0;
  if (lead < 0xE0) return 2;
  if (lead < 0xF0) return 3;
  if (lead < 0xF5) return 4;
  return 0;
}

inline bool is_continuation(uint8_t b) { return (b & 0xC0) == 0x80; }

// Length of the character at s[0..n), n >= 1: the full sequence when it is well formed, else 1, so that a bad
// byte becomes a symbol of its own and the next byte is looked at afresh.
inline size_t char_len(const char* s, size_t n) {
  const auto* u = reinterpret_cast<const uint8_t*>(s);
  const int want = expected_len(u[0]);
  if (want <= 1 || static_cast<size_t>(want) > n) return 1;
  for (int i = 1; i < want; ++i) {
    if (!is_continuation(u[i])) return 1;
  }
  return static_cast<size_t>(want);
}

// Bytes at the end of s[0..n) that start a well-formed character whose remaining bytes have not arrived yet;
// 0 when the text ends on a character boundary (or on bytes that can never complete).
inline size_t incomplete_tail(const char* s, size_t n) {
  const auto* u = reinterpret_cast<const uint8_t*>(s);
  const size_t lookback = n < 3 ? n : 3;  // a 4-byte character lacks at most 3 bytes
  for (size_t k = 1; k <= lookback; ++k) {
    const uint8_t b = u[n - k];
    if (is_continuation(b)) continue;
    const int want = expected_len(b);
    return want > 1 && static_cast<size_t>(want) > k ? k : 0;
  }
  return 0;
}

}  // namespace minerva::utf8
