// GGUF files crafted from the shared models for tests that need a model the native engine
// refuses: written once per process into the test temp directory.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "formats/gguf.h"
#include "formats/gguf_writer.h"
#include "test_paths.h"

namespace minerva::testing {

// stories260K relabelled as an architecture no engine here implements ("mamba"): the native
// engine's Unsupported error, while the file stays a valid GGUF.
inline std::string unsupported_arch_model() {
  static const std::string path = [] {
    const std::string p = ::testing::TempDir() + "minerva_mamba_arch.gguf";
    auto src = GgufFile::open(shared_path("models/stories260K.gguf"));
    if (!src) return p;  // the test then fails on the missing file; listing the tests still works
    GgufWriter w;
    w.copy_metadata(src.value());
    w.set_string("general.architecture", "mamba");
    for (const TensorView& t : src->tensors()) {
      std::vector<int64_t> ne(t.ne.begin(), t.ne.begin() + t.n_dims);
      (void)w.add_tensor(t.name, t.type, ne, std::vector<uint8_t>(t.data, t.data + t.nbytes));
    }
    // Written beside and renamed into place: test processes running in parallel each write the
    // same bytes, and a reader never sees a half-written file.
    const std::string tmp = p + "." + std::to_string(::getpid());
    if (w.write_file(tmp)) std::rename(tmp.c_str(), p.c_str());
    return p;
  }();
  return path;
}

}  // namespace minerva::testing
