// StreamingDetokenizer: never emits half a character; push()+finish() always equals decode().
#include <gtest/gtest.h>

#include "tokenizer_fixtures.h"

namespace minerva {
namespace {

const Tokenizer* llama_spm() {
  std::string error;
  const Tokenizer* tok = testing::shared_tokenizer("tokenizers/gguf/ggml-vocab-llama-spm.gguf", &error);
  EXPECT_NE(tok, nullptr) << error;
  return tok;
}

Token byte_token(const Tokenizer& tok, uint8_t b) { return tok.vocab().byte_token(b); }

TEST(TokenizerStreaming, MultiByteCharacterHeldUntilComplete) {
  const Tokenizer* tok = llama_spm();
  if (tok == nullptr) return;
  const std::string llama = "\xF0\x9F\xA6\x99";  // U+1F999, 4 bytes
  StreamingDetokenizer stream(*tok);
  EXPECT_EQ(stream.push(tok->vocab().find("\xE2\x96\x81"
                                          "a")),
            "a");  // first piece: leading space stripped
  for (size_t i = 0; i + 1 < llama.size(); ++i) {
    EXPECT_EQ(stream.push(byte_token(*tok, static_cast<uint8_t>(llama[i]))), "") << "byte " << i;
  }
  EXPECT_EQ(stream.push(byte_token(*tok, static_cast<uint8_t>(llama[3]))), llama);
  EXPECT_EQ(stream.finish(), "");
}

// Generation continues a prompt: the first generated piece keeps its space.
TEST(TokenizerStreaming, ContinuationKeepsFirstLeadingSpace) {
  const Tokenizer* tok = llama_spm();
  if (tok == nullptr) return;
  StreamingDetokenizer stream(*tok, /*render_special=*/false, /*continues_text=*/true);
  EXPECT_EQ(stream.push(tok->vocab().find("\xE2\x96\x81"
                                          "a")),
            " a");
}

TEST(TokenizerStreaming, TwoByteCharacter) {
  const Tokenizer* tok = llama_spm();
  if (tok == nullptr) return;
  StreamingDetokenizer stream(*tok);
  EXPECT_EQ(stream.push(byte_token(*tok, 0xC3)), "");
  EXPECT_EQ(stream.push(byte_token(*tok, 0xA9)), "\xC3\xA9");
}

TEST(TokenizerStreaming, FinishFlushesIncompleteTail) {
  const Tokenizer* tok = llama_spm();
  if (tok == nullptr) return;
  StreamingDetokenizer stream(*tok);
  EXPECT_EQ(stream.push(byte_token(*tok, 0xE2)), "");
  EXPECT_EQ(stream.push(byte_token(*tok, 0x96)), "");
  EXPECT_EQ(stream.finish(), "\xE2\x96");
}

TEST(TokenizerStreaming, InvalidBytesPassThrough) {
  const Tokenizer* tok = llama_spm();
  if (tok == nullptr) return;
  StreamingDetokenizer stream(*tok);
  EXPECT_EQ(stream.push(byte_token(*tok, 0xFF)), "\xFF");  // can never start a character
  EXPECT_EQ(stream.push(byte_token(*tok, 0x80)), "\x80");  // stray continuation byte
  EXPECT_EQ(stream.push(byte_token(*tok, 0xE2)), "");
  EXPECT_EQ(stream.push(tok->vocab().find("a")),
            "\xE2"
            "a");  // the held lead byte can no longer complete
}

TEST(TokenizerStreaming, ConcatenationEqualsDecodeOnVectors) {
  const Tokenizer* tok = llama_spm();
  if (tok == nullptr) return;
  for (const auto& c : testing::load_vector_cases("ggml-vocab-llama-spm.gguf")) {
    for (bool with_bos : {false, true}) {
      for (bool render : {false, true}) {
        std::vector<Token> ids = tok->encode(c.text, {.add_special = with_bos, .parse_special = false});
        // Split every piece into byte tokens too, so multi-byte characters arrive one byte at a time.
        std::vector<Token> bytes;
        for (Token t : ids) {
          const std::string piece = tok->token_to_piece(t, render);
          if (tok->vocab().attr(t) != TokenAttr::Normal || piece.empty()) {
            bytes.push_back(t);
            continue;
          }
          for (char ch : piece) {
            bytes.push_back(ch == ' ' ? tok->vocab().find("\xE2\x96\x81") : byte_token(*tok, static_cast<uint8_t>(ch)));
          }
        }
        for (const auto* seq : {&ids, &bytes}) {
          StreamingDetokenizer stream(*tok, render);
          std::string text;
          for (Token t : *seq) {
            const std::string out = stream.push(t);
            EXPECT_TRUE(testing::is_valid_utf8(out)) << testing::escape_bytes(out);
            text += out;
          }
          text += stream.finish();
          EXPECT_EQ(testing::escape_bytes(text), testing::escape_bytes(tok->decode(*seq, render)))
              << "case " << c.index << " bos=" << with_bos << " render=" << render;
        }
      }
    }
  }
}

}  // namespace
}  // namespace minerva
