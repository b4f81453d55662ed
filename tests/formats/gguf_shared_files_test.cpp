// Every GGUF file in the shared test data (models/**, tokenizers/gguf/*) parses, and re-writing
// it with GgufWriter (metadata copied, tensors added in file order) gives back the same bytes.
// One CTest entry per file, so a failure names the file.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <span>
#include <string>
#include <vector>

#include "formats/gguf.h"
#include "formats/gguf_writer.h"
#include "test_paths.h"

namespace minerva::testing {
namespace {

namespace fs = std::filesystem;

// Relative paths under the shared dir, sorted; found at start-up so gtest can list them.
std::vector<std::string> shared_gguf_files() {
  std::vector<std::string> out;
  const fs::path root = shared_dir();
  for (const char* sub : {"models", "tokenizers/gguf"}) {
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(root / sub, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
      if (it->is_regular_file() && it->path().extension() == ".gguf") {
        out.push_back(fs::relative(it->path(), root).string());
      }
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string test_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = info.param;
  if (name.size() > 5 && name.ends_with(".gguf")) name.resize(name.size() - 5);
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

std::vector<uint8_t> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  std::vector<uint8_t> bytes(in ? static_cast<size_t>(in.tellg()) : 0);
  in.seekg(0);
  in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  return bytes;
}

class GgufSharedFile : public ::testing::TestWithParam<std::string> {};

TEST_P(GgufSharedFile, Parses) {
  const std::string path = shared_path(GetParam());
  auto f = GgufFile::open(path);
  ASSERT_TRUE(f.ok()) << f.error().message;
  EXPECT_EQ(f->path(), path);
  EXPECT_TRUE(f->version() == 2 || f->version() == 3);
  EXPECT_FALSE(f->metadata().empty());
  EXPECT_TRUE(f->get_string("general.architecture").ok()) << "no general.architecture";
  EXPECT_TRUE(f->get_array("tokenizer.ggml.tokens", GgufValueType::STRING).ok());
  if (GetParam().starts_with("models/")) {
    EXPECT_FALSE(f->tensors().empty());
    EXPECT_TRUE(f->find_tensor("token_embd.weight") != nullptr);
  }
  for (const auto& t : f->tensors()) {
    EXPECT_EQ(t.offset % f->alignment(), 0u) << t.name;
    EXPECT_LE(f->data_offset() + t.offset + t.nbytes, f->file_size()) << t.name;
    EXPECT_EQ(t.rows() * static_cast<int64_t>(t.row_bytes()), static_cast<int64_t>(t.nbytes)) << t.name;
  }
}

TEST_P(GgufSharedFile, RewriteGivesTheSameBytes) {
  const std::string path = shared_path(GetParam());
  const std::vector<uint8_t> original = read_file(path);
  auto f = GgufFile::parse(original, path);
  ASSERT_TRUE(f.ok()) << f.error().message;
  GgufWriter w;
  ASSERT_TRUE(w.set_version(f->version()).ok());
  w.copy_metadata(*f);
  for (const auto& t : f->tensors()) {
    std::vector<int64_t> ne(t.ne.begin(), t.ne.begin() + t.n_dims);
    Status s = w.add_tensor(t.name, t.type, std::move(ne), std::span<const uint8_t>(t.data, t.nbytes));
    ASSERT_TRUE(s.ok()) << s.error().message;
  }
  auto bytes = w.serialize();
  ASSERT_TRUE(bytes.ok()) << bytes.error().message;
  const std::vector<uint8_t>& out = *bytes;
  const auto mismatch = std::mismatch(out.begin(), out.end(), original.begin(), original.end());
  EXPECT_TRUE(mismatch.first == out.end() && mismatch.second == original.end())
      << "first difference at byte " << (mismatch.first - out.begin()) << " (written " << out.size()
      << " bytes, original " << original.size() << ")";
}

INSTANTIATE_TEST_SUITE_P(Shared, GgufSharedFile, ::testing::ValuesIn(shared_gguf_files()), test_name);

TEST(GgufSharedFiles, AllAreFound) {
  // Guards against a wrong shared path silently running zero cases.
  const auto files = shared_gguf_files();
  EXPECT_GE(files.size(), 30u);
  EXPECT_TRUE(std::find(files.begin(), files.end(), "models/stories260K.gguf") != files.end());
}

}  // namespace
}  // namespace minerva::testing
