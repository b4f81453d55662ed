// engine: sequences, sampling and the generation loop over a model context.
#pragma once

#include <string_view>

#include "tokenizer/tokenizer.h"

namespace minerva {

// Receives generated text as it is produced. The CLI's stdout writer is one sink; the
// server's SSE writer will be another. Called on the generating thread, in order.
class TokenSink {
 public:
  virtual ~TokenSink() = default;
  // `piece` is complete UTF-8 (the detokenizer holds partial characters back) and may be
  // empty for tokens that render as nothing. Return false to stop generation.
  virtual bool on_piece(std::string_view piece, Token token) = 0;
};

}  // namespace minerva
