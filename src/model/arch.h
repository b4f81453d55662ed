// model: architectures as data (hyper-parameters, tensor names, switches) and the
// forward pass over a KV cache. Nothing here knows about HTTP or sampling.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "util/error.h"

namespace minerva {

// How rotary embeddings pair up dimensions: NORM rotates adjacent pairs (x[2i], x[2i+1]),
// NEOX rotates halves (x[i], x[i + n_rot/2]). Chosen per architecture, as llama.cpp does.
enum class RopeType { Norm, Neox };

// Static facts about one architecture name as written in general.architecture.
struct ArchInfo {
  std::string_view name;
  RopeType rope_type;
};

// The architecture `name`, or an error naming it and listing the supported ones.
Result<const ArchInfo*> find_arch(std::string_view name);

// "llama, ..." for messages and --help.
std::string supported_arch_list();

}  // namespace minerva
