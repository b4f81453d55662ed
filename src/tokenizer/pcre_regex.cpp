// PCRE2 behind Regex: compile options, Oniguruma-compatible \s, thread-local match data and JIT stack.
#include "tokenizer/pcre_regex.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <array>

namespace minerva {

struct RegexCode {
  pcre2_code* code = nullptr;
  explicit RegexCode(pcre2_code* c) : code(c) {}
  RegexCode(const RegexCode&) = delete;
  RegexCode& operator=(const RegexCode&) = delete;
  ~RegexCode() { pcre2_code_free(code); }
};

namespace {

// PCRE2's \s (with UCP) is Unicode Z plus \t\n\v\f\r; HF (Oniguruma) and llama.cpp also count U+0085.
std::string widen_whitespace(std::string_view re) {
  std::string out;
  out.reserve(re.size() + 32);
  bool in_class = false;
  for (size_t i = 0; i < re.size(); ++i) {
    const char c = re[i];
    if (c == '\\' && i + 1 < re.size()) {
      const char n = re[++i];
      if (n == 's') {
        out += in_class ? R"(\s\x{85})" : R"([\s\x{85}])";
      } else if (n == 'S' && !in_class) {
        out += R"([^\s\x{85}])";
      } else {
        out += c;
        out += n;
      }
      continue;
    }
    if (c == '[' && !in_class) {
      in_class = true;
    } else if (c == ']' && in_class) {
      in_class = false;
    }
    out += c;
  }
  return out;
}

struct MatchState {
  pcre2_match_data* data = nullptr;
  pcre2_match_context* context = nullptr;
  pcre2_jit_stack* stack = nullptr;

  MatchState() {
    data = pcre2_match_data_create(1, nullptr);
    context = pcre2_match_context_create(nullptr);
    // Long runs of one class (1 MB without a space) need more than the default 32 KiB of JIT stack.
    stack = pcre2_jit_stack_create(32 * 1024, 64 * 1024 * 1024, nullptr);
    if (context != nullptr && stack != nullptr) pcre2_jit_stack_assign(context, nullptr, stack);
  }
  ~MatchState() {
    pcre2_jit_stack_free(stack);
    pcre2_match_context_free(context);
    pcre2_match_data_free(data);
  }
  MatchState(const MatchState&) = delete;
  MatchState& operator=(const MatchState&) = delete;
};

MatchState& match_state() {
  thread_local MatchState state;
  return state;
}

}  // namespace

Result<Regex> Regex::compile(std::string_view re) {
  const std::string pattern = widen_whitespace(re);
  int err = 0;
  PCRE2_SIZE err_off = 0;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                   PCRE2_UTF | PCRE2_UCP | PCRE2_DOLLAR_ENDONLY, &err, &err_off, nullptr);
  if (code == nullptr) {
    std::array<PCRE2_UCHAR, 256> msg{};
    pcre2_get_error_message(err, msg.data(), msg.size());
    return make_error("regex /" + std::string(re) + "/ does not compile (offset " + std::to_string(err_off) +
                      "): " + reinterpret_cast<const char*>(msg.data()));
  }
  (void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);  // the interpreter is the fallback
  Regex r;
  r.code_ = std::make_shared<const RegexCode>(code);
  r.pattern_ = std::string(re);
  return r;
}

bool Regex::find(std::string_view subject, size_t start, size_t* begin, size_t* end) const {
  if (!code_ || start > subject.size()) return false;
  MatchState& ms = match_state();
  const int rc = pcre2_match(code_->code, reinterpret_cast<PCRE2_SPTR>(subject.data()), subject.size(), start,
                             PCRE2_NOTEMPTY | PCRE2_NO_UTF_CHECK, ms.data, ms.context);
  if (rc < 0) return false;
  const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(ms.data);
  if (ov[1] <= ov[0] || ov[0] < start || ov[1] > subject.size()) return false;  // never loop forever
  *begin = ov[0];
  *end = ov[1];
  return true;
}

}  // namespace minerva
