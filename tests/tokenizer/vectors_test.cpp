// llama.cpp's tokenizer vectors (ids from Python HF, add_special=false, parse_special=false): one CTest entry
// per string and vocab.
#include <gtest/gtest.h>

#include "tokenizer_fixtures.h"

namespace minerva {
namespace {

using testing::VectorCase;

class TokenizerVectors : public ::testing::TestWithParam<VectorCase> {
 protected:
  const Tokenizer* tokenizer() {
    const VectorCase& c = GetParam();
    if (!c.load_error.empty()) {
      ADD_FAILURE() << c.load_error;
      return nullptr;
    }
    std::string error;
    const Tokenizer* tok = testing::shared_tokenizer("tokenizers/gguf/" + c.vocab, &error);
    if (tok == nullptr) ADD_FAILURE() << error;
    return tok;
  }
};

TEST_P(TokenizerVectors, Encode) {
  const Tokenizer* tok = tokenizer();
  if (tok == nullptr) return;
  const VectorCase& c = GetParam();
  EXPECT_EQ(tok->encode(c.text, {.add_special = false, .parse_special = false}), c.expected)
      << "text: \"" << testing::escape_bytes(c.text) << "\"";
}

TEST_P(TokenizerVectors, RoundTrip) {
  const Tokenizer* tok = tokenizer();
  if (tok == nullptr) return;
  const VectorCase& c = GetParam();
  const std::vector<Token> ids = tok->encode(c.text, {.add_special = false, .parse_special = false});
  EXPECT_EQ(testing::escape_bytes(tok->decode(ids)), testing::escape_bytes(c.text));
  // With BOS in front the dummy-prefix space survives: decode(BOS + ids) == " " + text (for non-empty text).
  std::vector<Token> with_bos = {tok->vocab().bos()};
  with_bos.insert(with_bos.end(), ids.begin(), ids.end());
  EXPECT_EQ(testing::escape_bytes(tok->decode(with_bos)), testing::escape_bytes(c.text.empty() ? "" : " " + c.text));
}

std::string case_name(const ::testing::TestParamInfo<VectorCase>& info) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "case_%02zu", info.param.index);
  return info.param.load_error.empty() ? std::string(buf) : "load_error";
}

INSTANTIATE_TEST_SUITE_P(LlamaSpm, TokenizerVectors,
                         ::testing::ValuesIn(testing::load_vector_cases("ggml-vocab-llama-spm.gguf")), case_name);
INSTANTIATE_TEST_SUITE_P(Phi3, TokenizerVectors,
                         ::testing::ValuesIn(testing::load_vector_cases("ggml-vocab-phi-3.gguf")), case_name);

}  // namespace
}  // namespace minerva
