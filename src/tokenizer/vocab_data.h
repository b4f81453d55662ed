// Internal: the storage behind Vocab. Built once by Vocab::from_gguf, then shared read-only.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/text_index.h"
#include "tokenizer/tokenizer.h"

namespace minerva {

struct VocabData {
  std::string model;
  std::string name;                 // general.name, lowercased (llama.cpp compares it that way)
  std::string pre;                  // tokenizer.ggml.pre ("" when absent)
  std::vector<std::string> merges;  // tokenizer.ggml.merges, "left right" in rank order (BPE only)

  // Token texts live in one buffer: text of t is arena[offsets[t], offsets[t + 1]). `index` points into it, so
  // a VocabData is never copied or moved (it sits behind a shared_ptr).
  std::string arena;
  std::vector<size_t> offsets;
  std::vector<float> scores;
  std::vector<TokenAttr> attrs;
  std::vector<uint8_t> strip;  // kStripLeft | kStripRight per token
  TextIndex index;
  size_t max_token_len = 0;

  std::array<Token, 256> byte_tokens{};
  std::vector<Token> special;  // see Vocab::special_tokens()
  std::vector<Token> eog;      // sorted

  Token bos = -1, eos = -1, unk = -1, eot = -1, eom = -1;
  bool add_bos = false, add_eos = false, add_space_prefix = false;

  static constexpr uint8_t kStripLeft = 1, kStripRight = 2;

  VocabData() { byte_tokens.fill(-1); }
  VocabData(const VocabData&) = delete;
  VocabData& operator=(const VocabData&) = delete;

  size_t size() const { return attrs.size(); }
  std::string_view text(Token t) const {
    return std::string_view(arena).substr(offsets[static_cast<size_t>(t)],
                                          offsets[static_cast<size_t>(t) + 1] - offsets[static_cast<size_t>(t)]);
  }
};

// Completes a VocabData whose attrs, special ids and flags are set: token texts (index by id; empty for holes),
// byte tokens (<0xNN>, else the single byte, else for byte_level the GPT-2 code point), EOG detection and the
// special-token list. Used for tokenizer.json vocabs.
Vocab finish_vocab(std::shared_ptr<VocabData> d, const std::vector<std::string>& texts, bool byte_level);

}  // namespace minerva
