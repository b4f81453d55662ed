#include "tokenizer/special_split.h"

#include <algorithm>

namespace minerva {
namespace {

// C isspace() in the "C" locale, which is what llama.cpp's strip flags test.
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; }

struct Match {
  uint32_t rank;  // index into vocab.special_tokens(): lower goes first
  size_t pos;
};

struct Span {
  size_t pos;
  size_t len;
  Token token;
};

}  // namespace

SpecialSplitter::SpecialSplitter(const Vocab& vocab) {
  const std::span<const Token> specials = vocab.special_tokens();
  for (size_t rank = 0; rank < specials.size(); ++rank) {
    const Token t = specials[rank];
    const auto first = static_cast<uint8_t>(vocab.text(t)[0]);  // special_tokens() have non-empty text
    by_first_byte_[1][first].push_back(static_cast<uint32_t>(rank));
    if (vocab.attr(t) == TokenAttr::UserDefined) by_first_byte_[0][first].push_back(static_cast<uint32_t>(rank));
  }
}

std::vector<Fragment> SpecialSplitter::split(const Vocab& vocab, std::string_view text, bool parse_special) const {
  if (text.empty()) return {};
  const std::span<const Token> specials = vocab.special_tokens();
  const auto& buckets = by_first_byte_[parse_special ? 1 : 0];

  std::vector<Match> matches;
  for (size_t i = 0; i < text.size(); ++i) {
    for (uint32_t rank : buckets[static_cast<uint8_t>(text[i])]) {
      if (text.substr(i).starts_with(vocab.text(specials[rank]))) matches.push_back({rank, i});
    }
  }
  if (matches.empty()) return {{0, text.size(), -1}};
  // Scanning produced matches by position; process them token by token in rank order.
  std::stable_sort(matches.begin(), matches.end(), [](const Match& a, const Match& b) { return a.rank < b.rank; });

  std::vector<uint8_t> claimed(text.size(), 0);  // bytes taken by an accepted token or stripped as whitespace
  std::vector<Span> accepted;
  for (size_t i = 0; i < matches.size();) {
    const uint32_t rank = matches[i].rank;
    const Token t = specials[rank];
    const size_t len = vocab.text(t).size();
    size_t next_free = 0;  // llama.cpp resumes its search after the previous occurrence (and its stripping)
    for (; i < matches.size() && matches[i].rank == rank; ++i) {
      const size_t p = matches[i].pos;
      if (p < next_free) continue;
      const auto first = claimed.begin() + static_cast<std::ptrdiff_t>(p);
      if (std::find(first, first + static_cast<std::ptrdiff_t>(len), 1) != first + static_cast<std::ptrdiff_t>(len)) {
        continue;  // overlaps a longer token split out before: llama.cpp never sees this occurrence
      }
      std::fill(first, first + static_cast<std::ptrdiff_t>(len), 1);
      accepted.push_back({p, len, t});
      next_free = p + len;
      if (vocab.strips_left(t)) {
        for (size_t q = p; q > 0 && claimed[q - 1] == 0 && is_space(text[q - 1]); --q) claimed[q - 1] = 1;
      }
      if (vocab.strips_right(t)) {
        for (; next_free < text.size() && claimed[next_free] == 0 && is_space(text[next_free]); ++next_free) {
          claimed[next_free] = 1;
        }
      }
    }
  }

  // Between two accepted tokens the unclaimed bytes form one run: stripped whitespace only ever touches a token.
  std::sort(accepted.begin(), accepted.end(), [](const Span& a, const Span& b) { return a.pos < b.pos; });
  std::vector<Fragment> out;
  out.reserve(accepted.size() * 2 + 1);
  auto emit_raw = [&](size_t begin, size_t end) {
    while (begin < end && claimed[begin] != 0) ++begin;
    while (end > begin && claimed[end - 1] != 0) --end;
    if (begin < end) out.push_back({begin, end, -1});
  };
  size_t cursor = 0;
  for (const Span& s : accepted) {
    emit_raw(cursor, s.pos);
    out.push_back({s.pos, s.pos + s.len, s.token});
    cursor = s.pos + s.len;
  }
  emit_raw(cursor, text.size());
  return out;
}

}  // namespace minerva
