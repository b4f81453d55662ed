// grammar: JSON Schema `pattern` (an ECMA-262 regular expression subset) -> a GBNF expression for
// the *inside* of a JSON string whose decoded value the regex matches.
#pragma once

#include <string>

#include "util/error.h"

namespace minerva::grammar {

// Supported: literals, escapes (\d \w \s \D \W \S, \. and other escaped punctuation, \n \r \t,
// \uXXXX), classes [...] and [^...], `.`, groups (...) and (?:...), alternation, quantifiers
// * + ? {m} {m,} {m,n} (lazy forms too), and ^ / $ at the ends. The output never produces a
// quote, backslash or control character unescaped: classes drop them, literal ones are written
// as JSON escapes. Errors name the construct and its offset in the pattern.
Result<std::string> pattern_to_gbnf(const std::string& pattern);

}  // namespace minerva::grammar
