// libFuzzer target for the GGUF reader (built only with clang and -DMINERVA_FUZZ=ON; see
// CMakeLists.txt). Any input must parse or give an Error naming the input and a byte offset.
// When it parses, every value is formatted, every tensor's bytes are touched, and the file is
// re-written with GgufWriter and parsed again: the copy must hold the same metadata and tensors.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "formats/gguf.h"
#include "formats/gguf_describe.h"
#include "formats/gguf_writer.h"

namespace {

void require(bool ok) {
  if (!ok) std::abort();  // a finding: libFuzzer saves the input that got here
}

void check_round_trip(const minerva::GgufFile& f) {
  minerva::GgufWriter w;
  require(w.set_version(f.version()).ok());
  w.copy_metadata(f);
  for (const auto& t : f.tensors()) {
    std::vector<int64_t> ne(t.ne.begin(), t.ne.begin() + t.n_dims);
    require(w.add_tensor(t.name, t.type, std::move(ne), std::span<const uint8_t>(t.data, t.nbytes)).ok());
  }
  auto bytes = w.serialize();
  require(bytes.ok());
  auto g = minerva::GgufFile::parse(*bytes, "rewritten");
  require(g.ok());
  require(g->metadata().size() == f.metadata().size());
  for (size_t k = 0; k < f.metadata().size(); ++k) {
    require(g->metadata()[k].key == f.metadata()[k].key);
    require(minerva::gguf_copy_value(g->metadata()[k].value) == minerva::gguf_copy_value(f.metadata()[k].value));
  }
  require(g->tensors().size() == f.tensors().size());
  for (size_t k = 0; k < f.tensors().size(); ++k) {
    const auto& a = f.tensors()[k];
    const auto& b = g->tensors()[k];
    require(a.name == b.name && a.type == b.type && a.ne == b.ne && a.nbytes == b.nbytes);
    require(a.nbytes == 0 || std::memcmp(a.data, b.data, a.nbytes) == 0);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // An exact-size heap copy, so AddressSanitizer catches any read past the end.
  const std::vector<uint8_t> bytes(data, data + size);
  auto f = minerva::GgufFile::parse(bytes, "fuzz.gguf");
  if (!f.ok()) {
    const std::string& m = f.error().message;
    require(m.rfind("fuzz.gguf: ", 0) == 0);
    const size_t at = m.find(" at byte ");
    require(at != std::string::npos);
    require(std::strtoull(m.c_str() + at + 9, nullptr, 10) <= size);
    return 0;
  }
  size_t chars = 0;
  for (const auto& kv : f->metadata()) chars += minerva::format_gguf_value(kv.value).size();
  const minerva::GgufModelFacts facts = minerva::gguf_model_facts(*f);
  chars += minerva::format_tensor_type_counts(facts.tensor_types).size();
  unsigned sum = 0;
  for (const auto& t : f->tensors()) {
    chars += t.shape_string().size();
    if (t.nbytes > 0) sum += t.data[0] + t.data[t.nbytes - 1];
  }
  require(chars + sum > 0 || f->metadata().empty());
  check_round_trip(*f);
  return 0;
}
