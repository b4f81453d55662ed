#include "util/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <utility>

namespace minerva {

namespace {
constexpr size_t kHugePage = size_t{2} << 20;
constexpr size_t kMoveStep = size_t{32} << 20;  // a multiple of kHugePage

// Anonymous memory of `size` bytes starting on a 2 MB boundary (huge pages need aligned
// addresses): PROT_NONE reserves a place to map a file at, PROT_READ | PROT_WRITE takes a copy.
void* map_aligned(size_t size, int prot) {
  void* raw = mmap(nullptr, size + kHugePage, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (raw == MAP_FAILED) return nullptr;
  auto* start = static_cast<uint8_t*>(raw);
  const size_t lead = (kHugePage - reinterpret_cast<uintptr_t>(raw) % kHugePage) % kHugePage;
  if (lead > 0) munmap(start, lead);
  munmap(start + lead + size, kHugePage - lead);
  return start + lead;
}

size_t page_rounded(size_t n) {
  const auto page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return (n + page - 1) / page * page;
}
}  // namespace

Result<MappedFile> MappedFile::open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT) return make_error(path + ": no such file");
    return make_error(path + ": cannot open: " + std::strerror(err));
  }
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return make_error(path + ": cannot stat: " + std::strerror(err));
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    return make_error(path + ": is a directory, not a model file");
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return make_error(path + ": not a regular file");
  }
  MappedFile file;
  file.path_ = path;
  file.size_ = static_cast<size_t>(st.st_size);
  if (file.size_ == 0) {
    ::close(fd);
    return make_error(path + ": file is empty (0 bytes)");
  }
  // Big files go on a 2 MB boundary (see move_to_huge_pages); the reservation is replaced.
  void* at = file.size_ >= kHugePage ? map_aligned(page_rounded(file.size_), PROT_NONE) : nullptr;
  void* p = mmap(at, file.size_, PROT_READ, MAP_PRIVATE | (at != nullptr ? MAP_FIXED : 0), fd, 0);
  int err = errno;
  ::close(fd);
  if (p == MAP_FAILED) {
    if (at != nullptr) munmap(at, page_rounded(file.size_));
    return make_error(path + ": mmap failed: " + std::strerror(err));
  }
  file.data_ = static_cast<const uint8_t*>(p);
  return file;
}

Result<size_t> MappedFile::move_to_huge_pages(const std::atomic<bool>& cancel) const {
  if (data_ == nullptr) return make_error(path_ + ": nothing mapped");
  const size_t len = page_rounded(size_);
  // A step at a time: each step's copy replaces its part of the file mapping before the next
  // starts, so resident memory grows by one step at most (generation keeps touching the file's
  // pages until they are replaced) and the part already moved is read faster at once.
  for (size_t off = 0; off < len; off += kMoveStep) {
    const size_t n = std::min(kMoveStep, len - off);
    void* mem = map_aligned(n, PROT_READ | PROT_WRITE);
    if (mem == nullptr) return make_error(path_ + ": no memory for a copy in huge pages: " + std::strerror(errno));
    if (madvise(mem, n, MADV_HUGEPAGE) != 0) {
      const int err = errno;
      munmap(mem, n);
      return make_error(path_ + ": this kernel offers no transparent huge pages: " + std::strerror(err));
    }
    auto* dst = static_cast<uint8_t*>(mem);
    for (size_t at = 0; at < n; at += kHugePage) {  // a huge page at a time, so cancel is quick
      if (cancel.load(std::memory_order_relaxed)) {
        munmap(mem, n);
        return make_error(path_ + ": move to huge pages cancelled");
      }
      const size_t end = std::min(off + at + kHugePage, size_);  // the file's last page ends early
      if (end > off + at) std::memcpy(dst + at, data_ + off + at, end - off - at);
    }
    // Read-only like the file mapping, then swapped in for its part in one step: a thread that
    // touches the range meanwhile waits in its page fault and then finds the copy.
    void* moved = MAP_FAILED;
    if (mprotect(mem, n, PROT_READ) == 0) {
      moved = mremap(mem, n, n, MREMAP_MAYMOVE | MREMAP_FIXED, const_cast<uint8_t*>(data_) + off);
    }
    if (moved == MAP_FAILED) {
      const int err = errno;
      munmap(mem, n);
      return make_error(path_ + ": cannot move the copy into place: " + std::strerror(err));
    }
  }
  return len;
}

MappedFile::MappedFile(MappedFile&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)), path_(std::move(other.path_)) {}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
  if (this != &other) {
    if (data_ != nullptr) munmap(const_cast<uint8_t*>(data_), size_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    path_ = std::move(other.path_);
  }
  return *this;
}

MappedFile::~MappedFile() {
  if (data_ != nullptr) munmap(const_cast<uint8_t*>(data_), size_);
}

}  // namespace minerva
