// llama.cpp's tokenizer vectors (ids from Python HF, add_special=false, parse_special=false): one CTest entry
// per string and vocab.
#include <gtest/gtest.h>

#include <algorithm>

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
  if (tok->vocab().model() == "bert") {
    // WordPiece is lossy (case, accents, spacing, unknown words): its decoded text re-encodes to the same ids.
    if (std::find(ids.begin(), ids.end(), tok->vocab().unk()) != ids.end()) return;
    EXPECT_EQ(tok->encode(tok->decode(ids), {.add_special = false, .parse_special = false}), ids)
        << "decoded: \"" << testing::escape_bytes(tok->decode(ids)) << "\"";
    return;
  }
  EXPECT_EQ(testing::escape_bytes(tok->decode(ids)), testing::escape_bytes(c.text));
  // With BOS in front the dummy-prefix space survives (SPM): decode(BOS + ids) == " " + text (for non-empty
  // text). BPE vocabs have no dummy prefix: BOS renders as nothing.
  if (tok->vocab().bos() < 0) return;
  std::vector<Token> with_bos = {tok->vocab().bos()};
  with_bos.insert(with_bos.end(), ids.begin(), ids.end());
  const std::string prefix = tok->vocab().add_space_prefix() && !c.text.empty() ? " " : "";
  EXPECT_EQ(testing::escape_bytes(tok->decode(with_bos)), testing::escape_bytes(prefix + c.text));
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
// Byte-level BPE (tokenizer.ggml.model "gpt2"), one per pre-tokenizer with upstream vectors.
INSTANTIATE_TEST_SUITE_P(Gpt2, TokenizerVectors,
                         ::testing::ValuesIn(testing::load_vector_cases("ggml-vocab-gpt-2.gguf")), case_name);
INSTANTIATE_TEST_SUITE_P(Falcon, TokenizerVectors,
                         ::testing::ValuesIn(testing::load_vector_cases("ggml-vocab-falcon.gguf")), case_name);
INSTANTIATE_TEST_SUITE_P(Mpt, TokenizerVectors, ::testing::ValuesIn(testing::load_vector_cases("ggml-vocab-mpt.gguf")),
                         case_name);
INSTANTIATE_TEST_SUITE_P(DeepseekCoder, TokenizerVectors,
                         ::testing::ValuesIn(testing::load_vector_cases("ggml-vocab-deepseek-coder.gguf")), case_name);
// WordPiece (tokenizer.ggml.model "bert").
INSTANTIATE_TEST_SUITE_P(BertBge, TokenizerVectors,
                         ::testing::ValuesIn(testing::load_vector_cases("ggml-vocab-bert-bge.gguf")), case_name);

}  // namespace
}  // namespace minerva
