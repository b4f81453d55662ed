// Internal: one PCRE2 pattern compiled the way HF tokenizers' Oniguruma patterns behave (UTF + UCP, `\s` widened
// to Unicode White_Space, JIT when available), matched with per-thread scratch so a const Regex is thread-safe.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "util/error.h"

namespace minerva {

struct RegexCode;  // the pcre2_code (pcre_regex.cpp)

class Regex {
 public:
  Regex() = default;
  // Errors carry PCRE2's message and the offset in the pattern.
  static Result<Regex> compile(std::string_view pattern);

  // Leftmost non-empty match in subject starting at or after `start` -> true with [*begin, *end). The subject
  // must be valid UTF-8 (it is not re-checked). False on no match or a PCRE2 resource limit.
  bool find(std::string_view subject, size_t start, size_t* begin, size_t* end) const;
  bool valid() const { return code_ != nullptr; }
  const std::string& pattern() const { return pattern_; }

 private:
  std::shared_ptr<const RegexCode> code_;
  std::string pattern_;
};

}  // namespace minerva
