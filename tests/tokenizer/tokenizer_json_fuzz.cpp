// libFuzzer target for tokenizer.json loading and encoding: the input is a tokenizer.json, optionally followed by
// a NUL byte and a text. Whatever loads is used to encode the text (every flag combination), decode the ids
// whole and streamed, and the two must agree. Any crash, sanitizer report or hang is a bug; load errors are fine.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "tokenizer/tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t nul = input.find('\0');
  const std::string_view json = input.substr(0, nul);
  const std::string_view text =
      nul == std::string_view::npos ? std::string_view("Hello, world! 123 \xE4\xB8\xAD\xFF") : input.substr(nul + 1);
  auto tok = minerva::Tokenizer::from_hf_json(json);
  if (!tok) return 0;
  for (bool add_special : {false, true}) {
    for (bool parse_special : {false, true}) {
      const std::vector<minerva::Token> ids = tok->encode(text, {add_special, parse_special});
      for (minerva::Token t : ids) {
        if (!tok->vocab().valid(t)) std::abort();
      }
      const std::string whole = tok->decode(ids, true);
      minerva::StreamingDetokenizer stream(*tok, true);
      std::string streamed;
      for (minerva::Token t : ids) streamed += stream.push(t);
      streamed += stream.finish();
      if (streamed != whole) std::abort();
    }
  }
  return 0;
}
