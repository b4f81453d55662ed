// Format detection reads bytes, not names: real files, crafted directories, hostile inputs.
#include "backend/format.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "crafted_models.h"
#include "test_paths.h"

namespace minerva {
namespace {

namespace fs = std::filesystem;

class FormatTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "minerva_format_XXXXXX";
    dir_ = ::mkdtemp(tmpl.data());
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& bytes) {
    const std::string p = dir_ + "/" + name;
    fs::create_directories(fs::path(p).parent_path());
    std::ofstream(p, std::ios::binary) << bytes;
    return p;
  }
  // A safetensors file: 8-byte little-endian header length, then the JSON header.
  std::string safetensors(const std::string& name, const std::string& header) {
    std::string b(8, '\0');
    for (int i = 0; i < 8; ++i) b[i] = static_cast<char>((header.size() >> (8 * i)) & 0xff);
    return write(name, b + header);
  }
  std::string dir_;
};

TEST_F(FormatTest, RealGgufIsDetectedWithItsArchitecture) {
  auto d = detect_model_format(testing::shared_path("models/stories260K.gguf"));
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->format, ModelFormat::Gguf);
  EXPECT_EQ(d->architecture, "llama");
  EXPECT_TRUE(native_engine_supports(testing::shared_path("models/stories260K.gguf")));
  EXPECT_TRUE(native_engine_supports(testing::shared_path("models/synth/qwen2-q8_0.gguf")));
  Status q = native_engine_supports(testing::unsupported_arch_model());
  ASSERT_FALSE(q);
  EXPECT_TRUE(is_native_unsupported_error(q.error())) << q.error().message;
}

TEST_F(FormatTest, NameDoesNotMatterBytesDo) {
  // A GGUF without the extension is still GGUF; a text file named .gguf is not.
  fs::copy_file(testing::shared_path("models/stories260K.gguf"), dir_ + "/model.bin");
  auto d = detect_model_format(dir_ + "/model.bin");
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->format, ModelFormat::Gguf);
  auto bad = detect_model_format(write("fake.gguf", "hello, world"));
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("fake.gguf: not a model file"), std::string::npos) << bad.error().message;
  EXPECT_NE(bad.error().message.find("68 65 6c 6c"), std::string::npos) << bad.error().message;  // "hell"
}

TEST_F(FormatTest, LegacyMagicsSayConvertToGguf) {
  for (const char* magic : {"lmgg", "fmgg", "tjgg"}) {
    auto r = detect_model_format(write(std::string("old-") + magic, std::string(magic) + std::string(60, '\0')));
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("legacy GGML file"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("convert it to GGUF"), std::string::npos) << r.error().message;
  }
}

TEST_F(FormatTest, BadGgufHeadersAreErrorsNotCrashes) {
  EXPECT_FALSE(detect_model_format(write("empty", "")));
  EXPECT_FALSE(detect_model_format(write("short", "GGU")));
  auto v = detect_model_format(write("v99", std::string("GGUF") + std::string("\x63\x00\x00\x00", 4)));
  ASSERT_FALSE(v);
  EXPECT_NE(v.error().message.find("GGUF version 99"), std::string::npos) << v.error().message;
  EXPECT_FALSE(detect_model_format(write("trunc", std::string("GGUF\x03\x00\x00\x00", 8) + "\x01\x02")));
  EXPECT_FALSE(detect_model_format(dir_ + "/missing"));
  // Every prefix of a real GGUF header: an error or a model, never a crash.
  std::ifstream in(testing::shared_path("models/stories260K.gguf"), std::ios::binary);
  std::string bytes(4096, '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  for (size_t n = 0; n < bytes.size(); n += 97) {
    auto r = detect_model_format(write("prefix", bytes.substr(0, n)));
    EXPECT_FALSE(r) << n;
  }
}

TEST_F(FormatTest, HuggingFaceAndMlxDirectories) {
  write("hf/config.json", R"({"model_type": "llama", "hidden_size": 64})");
  safetensors("hf/model.safetensors",
              R"({"model.embed_tokens.weight": {"dtype": "F16", "shape": [2, 2], "data_offsets": [0, 8]}})");
  auto hf = detect_model_format(dir_ + "/hf");
  ASSERT_TRUE(hf) << hf.error().message;
  EXPECT_EQ(hf->format, ModelFormat::HfDir);
  EXPECT_EQ(hf->architecture, "llama");

  write("mlx-config/config.json", R"({"model_type": "qwen2", "quantization": {"group_size": 64, "bits": 4}})");
  write("mlx-config/model.safetensors.index.json", "{}");
  auto a = detect_model_format(dir_ + "/mlx-config");
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->format, ModelFormat::MlxDir);

  write("mlx-tensors/config.json", R"({"model_type": "mistral"})");
  safetensors("mlx-tensors/model.safetensors",
              R"({"layers.0.q_proj.weight": {}, "layers.0.q_proj.scales": {}, "layers.0.q_proj.biases": {}})");
  auto b = detect_model_format(dir_ + "/mlx-tensors");
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(b->format, ModelFormat::MlxDir);
}

TEST_F(FormatTest, IncompleteDirectoriesNameWhatIsMissing) {
  fs::create_directories(dir_ + "/empty");
  auto e = detect_model_format(dir_ + "/empty");
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message.find("without config.json"), std::string::npos) << e.error().message;
  write("noweights/config.json", "{}");
  write("noweights/pytorch_model.bin", "x");
  auto w = detect_model_format(dir_ + "/noweights");
  ASSERT_FALSE(w);
  EXPECT_NE(w.error().message.find("no *.safetensors"), std::string::npos) << w.error().message;
  write("badcfg/config.json", "[1, 2");
  write("badcfg/model.safetensors", "");
  auto c = detect_model_format(dir_ + "/badcfg");
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("config.json: not a JSON object"), std::string::npos) << c.error().message;
}

// Hostile safetensors headers (huge lengths, garbage JSON) only ever fall back to "hf".
TEST_F(FormatTest, HostileSafetensorsHeaders) {
  write("h/config.json", "{}");
  std::mt19937 rng(7);
  for (int i = 0; i < 200; ++i) {
    std::string b(8 + rng() % 64, '\0');
    for (auto& c : b) c = static_cast<char>(rng());
    write("h/model.safetensors", b);
    auto d = detect_model_format(dir_ + "/h");
    ASSERT_TRUE(d) << i;
    EXPECT_EQ(d->format, ModelFormat::HfDir);
  }
}

}  // namespace
}  // namespace minerva
