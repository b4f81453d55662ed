// StreamingDetokenizer: decode() one token at a time without ever emitting half a UTF-8 character.
#include "tokenizer/tokenizer.h"
#include "tokenizer/utf8.h"

namespace minerva {

StreamingDetokenizer::StreamingDetokenizer(const Tokenizer& tok, bool render_special, bool continues_text)
    : tok_(&tok), render_special_(render_special), first_(!continues_text) {}

std::string StreamingDetokenizer::push(Token t) {
  // Same leading-space rule as decode(): only the very first token's piece is stripped.
  if (tok_->append_piece(pending_, t, render_special_, first_)) first_ = false;
  const size_t ready = pending_.size() - utf8::incomplete_tail(pending_.data(), pending_.size());
  std::string out = pending_.substr(0, ready);
  pending_.erase(0, ready);
  return out;
}

std::string StreamingDetokenizer::finish() {
  std::string out = std::move(pending_);
  pending_.clear();
  return out;
}

}  // namespace minerva
