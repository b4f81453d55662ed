// MappedFile: maps whole files read-only; errors name the path and say what is wrong.
#include "util/mapped_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace minerva {
namespace {

namespace fs = std::filesystem;

class MappedFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("minerva-mapped-file-test-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& content) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }

  fs::path dir_;
};

TEST_F(MappedFileTest, MapsTheWholeFile) {
  const std::string path = write("data.bin", std::string("GGUF\0\x01\x02", 7));
  auto f = MappedFile::open(path);
  ASSERT_TRUE(f.ok()) << f.error().message;
  EXPECT_EQ(f->path(), path);
  ASSERT_EQ(f->bytes().size(), 7u);
  EXPECT_EQ(f->bytes()[0], 'G');
  EXPECT_EQ(f->bytes()[6], 0x02);
}

TEST_F(MappedFileTest, MoveKeepsTheMapping) {
  const std::string path = write("data.bin", "hello");
  auto f = MappedFile::open(path);
  ASSERT_TRUE(f.ok());
  const uint8_t* data = f->bytes().data();
  MappedFile a = std::move(f).value();
  MappedFile b;
  b = std::move(a);
  EXPECT_EQ(b.bytes().data(), data);  // moving does not remap
  EXPECT_EQ(b.bytes().size(), 5u);
  EXPECT_TRUE(a.bytes().empty());  // NOLINT(bugprone-use-after-move): moved-from is empty by contract
}

TEST_F(MappedFileTest, MissingFile) {
  const std::string path = (dir_ / "missing.gguf").string();
  auto f = MappedFile::open(path);
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.error().message, path + ": no such file");
}

TEST_F(MappedFileTest, Directory) {
  auto f = MappedFile::open(dir_.string());
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.error().message, dir_.string() + ": is a directory, not a model file");
}

TEST_F(MappedFileTest, EmptyFile) {
  const std::string path = write("empty.gguf", "");
  auto f = MappedFile::open(path);
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.error().message, path + ": file is empty (0 bytes)");
}

TEST_F(MappedFileTest, NotARegularFile) {
  auto f = MappedFile::open("/dev/null");
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.error().message, "/dev/null: not a regular file");
}

}  // namespace
}  // namespace minerva
