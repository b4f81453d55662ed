#pragma once

#include <string>
#include <vector>

#include "server/request.h"

namespace minerva {

// Renders chat messages into a prompt. Until the Jinja chat-template interpreter is wired in,
// every model gets ChatML (<|im_start|>role\ncontent<|im_end|>\n ... <|im_start|>assistant\n).
std::string render_chatml(const std::vector<ChatMessage>& messages, bool add_generation_prompt);

}  // namespace minerva
