#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "util/error.h"

namespace minerva {

// A read-only memory map of a whole file. Move-only; unmaps on destruction.
// Thread-safe to read from many threads once constructed.
class MappedFile {
 public:
  // Errors name the path and what failed: missing, a directory, unreadable, empty.
  static Result<MappedFile> open(const std::string& path);

  MappedFile() = default;
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  std::span<const uint8_t> bytes() const { return {data_, size_}; }

  // Copies the bytes into private anonymous memory in 2 MB pages (where the kernel has them)
  // and moves that memory onto the mapping's own addresses: every pointer into bytes() stays
  // valid and reads the same bytes throughout, so other threads may read while this runs.
  // Why: decoding streams every weight once per token, and from the page cache each 4 KB page
  // costs a TLB miss and, when the cache is scattered in physical memory, much more (a 600 MB
  // model decoded at 22 t/s from a long-lived page cache, 28 from a fresh copy of the file,
  // and the matrix stream alone ran 16 vs 26 GB/s). Moves 32 MB at a time, so resident memory
  // never holds much more than one copy. Errors: no transparent huge pages in this kernel, no
  // memory, or `cancel` set; the part moved before stays moved (the same bytes either way).
  // Returns the bytes moved.
  Result<size_t> move_to_huge_pages(const std::atomic<bool>& cancel) const;
  const std::string& path() const { return path_; }

 private:
  const uint8_t* data_ = nullptr;  // 2 MB aligned when the file is that big
  size_t size_ = 0;
  std::string path_;
};

}  // namespace minerva
