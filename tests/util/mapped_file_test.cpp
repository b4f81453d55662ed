// MappedFile: maps whole files read-only; errors name the path and say what is wrong.
#include "util/mapped_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

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

// Bytes that differ at every offset, so a page read from the wrong place shows.
std::string pattern(size_t n) {
  std::string s(n, '\0');
  uint32_t x = 12345;
  for (auto& c : s) {
    x = x * 1664525u + 1013904223u;
    c = static_cast<char>(x >> 24);
  }
  return s;
}

// The move into huge pages keeps every address and byte, also for a thread reading all along.
TEST_F(MappedFileTest, MoveToHugePagesKeepsAddressesAndBytesUnderConcurrentReads) {
  for (size_t size : {size_t{5} << 20, size_t{300000}}) {  // 2 MB aligned, and a small unaligned map
    const std::string content = pattern(size);
    const std::string path = write("weights.bin", content);
    auto f = MappedFile::open(path);
    ASSERT_TRUE(f.ok()) << f.error().message;
    const uint8_t* data = f->bytes().data();
    if (size >= (size_t{2} << 20)) {
      EXPECT_EQ(reinterpret_cast<uintptr_t>(data) % (size_t{2} << 20), 0u);
    }
    std::atomic<bool> stop{false};
    std::atomic<int> passes{0}, mismatches{0};
    std::thread reader([&] {
      while (!stop.load()) {
        if (std::memcmp(data, content.data(), size) != 0) mismatches.fetch_add(1);
        passes.fetch_add(1);
      }
    });
    while (passes.load() == 0) std::this_thread::yield();
    const std::atomic<bool> no_cancel{false};
    auto moved = f->move_to_huge_pages(no_cancel);
    const int before = passes.load();
    while (passes.load() < before + 2) std::this_thread::yield();  // reads from the copy too
    stop.store(true);
    reader.join();
    if (!moved.ok() && moved.error().message.find("no transparent huge pages") != std::string::npos) {
      GTEST_SKIP() << moved.error().message;
    }
    ASSERT_TRUE(moved.ok()) << moved.error().message;
    EXPECT_GE(moved.value(), size);
    EXPECT_EQ(f->bytes().data(), data);
    EXPECT_EQ(mismatches.load(), 0);
    EXPECT_EQ(std::memcmp(f->bytes().data(), content.data(), size), 0);
    // Only the copy is left: rewriting the file no longer shows through the mapping.
    write("weights.bin", std::string(size, 'x'));
    EXPECT_EQ(std::memcmp(f->bytes().data(), content.data(), size), 0);
  }
}

TEST_F(MappedFileTest, CancelledMoveLeavesTheMapping) {
  const std::string content = pattern(size_t{3} << 20);
  auto f = MappedFile::open(write("weights.bin", content));
  ASSERT_TRUE(f.ok());
  const std::atomic<bool> cancel{true};
  auto moved = f->move_to_huge_pages(cancel);
  ASSERT_FALSE(moved.ok());
  if (moved.error().message.find("no transparent huge pages") != std::string::npos) GTEST_SKIP();
  EXPECT_NE(moved.error().message.find("cancelled"), std::string::npos) << moved.error().message;
  EXPECT_EQ(std::memcmp(f->bytes().data(), content.data(), content.size()), 0);
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
