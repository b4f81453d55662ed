// stories260K against llama.cpp's recorded tokenization and detokenization (shared/reference).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tokenizer_fixtures.h"

namespace minerva {
namespace {

class TokenizerStories : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    tok_ = testing::shared_tokenizer("models/stories260K.gguf", &error);
    ASSERT_NE(tok_, nullptr) << error;
    const std::string json = testing::read_file(testing::shared_path("reference/stories260K.gguf.json"));
    ASSERT_FALSE(json.empty()) << "cannot read reference/stories260K.gguf.json";
    ref_ = nlohmann::json::parse(json);
  }

  std::vector<Token> ids(const char* field) const { return ref_.at(field).get<std::vector<Token>>(); }

  const Tokenizer* tok_ = nullptr;
  nlohmann::json ref_;
};

std::string from_hex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return out;
}

TEST_F(TokenizerStories, VocabMetadata) {
  const Vocab& v = tok_->vocab();
  EXPECT_EQ(v.size(), 512u);
  EXPECT_EQ(v.model(), "llama");
  EXPECT_EQ(v.bos(), 1);
  EXPECT_EQ(v.eos(), 2);
  EXPECT_EQ(v.unk(), 0);
  EXPECT_TRUE(v.add_bos());  // no add_bos_token key: SPM default
  EXPECT_FALSE(v.add_eos());
  EXPECT_TRUE(v.add_space_prefix());
  EXPECT_TRUE(v.is_eog(2));
  EXPECT_FALSE(v.is_eog(1));
  EXPECT_EQ(v.attr(1), TokenAttr::Control);
  EXPECT_EQ(v.attr(3), TokenAttr::Byte);
  EXPECT_EQ(v.text(403), "\xE2\x96\x81Once");
}

TEST_F(TokenizerStories, EncodePromptLikeLlamaCpp) {
  const auto flags = ref_.at("prompt_tokenization");
  const TokenizeOptions opts{.add_special = flags.at("add_special").get<bool>(),
                             .parse_special = flags.at("parse_special").get<bool>()};
  EXPECT_TRUE(opts.add_special);
  EXPECT_FALSE(opts.parse_special);
  EXPECT_EQ(tok_->encode(ref_.at("prompt_text").get<std::string>(), opts), ids("prompt_tokens"));
}

TEST_F(TokenizerStories, DecodePromptKeepsSpaceAfterBos) {
  EXPECT_EQ(tok_->decode(ids("prompt_tokens")), ref_.at("prompt_detokenized").get<std::string>());
}

TEST_F(TokenizerStories, PromptPiecesRenderSpecial) {
  const std::vector<Token> prompt = ids("prompt_tokens");
  const auto pieces = ref_.at("prompt_pieces").get<std::vector<std::string>>();
  ASSERT_EQ(prompt.size(), pieces.size());
  for (size_t i = 0; i < prompt.size(); ++i) {
    EXPECT_EQ(tok_->token_to_piece(prompt[i], /*render_special=*/true), pieces[i]) << "position " << i;
  }
  EXPECT_EQ(tok_->token_to_piece(1), "");  // BOS is Control: hidden unless rendered
}

TEST_F(TokenizerStories, DecodeGreedyStripsFirstSpace) {
  const std::string text = tok_->decode(ids("greedy_tokens"));
  EXPECT_EQ(text, ref_.at("greedy_text").get<std::string>());
  EXPECT_EQ(text, from_hex(ref_.at("greedy_text_hex").get<std::string>()));
  const std::vector<Token> greedy = ids("greedy_tokens");
  const auto pieces = ref_.at("greedy_pieces").get<std::vector<std::string>>();
  ASSERT_EQ(greedy.size(), pieces.size());
  for (size_t i = 0; i < greedy.size(); ++i) EXPECT_EQ(tok_->token_to_piece(greedy[i]), pieces[i]) << "step " << i;
}

TEST_F(TokenizerStories, StreamingMatchesDecode) {
  for (const char* field : {"prompt_tokens", "greedy_tokens"}) {
    StreamingDetokenizer stream(*tok_);
    std::string text;
    for (Token t : ids(field)) text += stream.push(t);
    text += stream.finish();
    EXPECT_EQ(text, tok_->decode(ids(field))) << field;
  }
}

}  // namespace
}  // namespace minerva
