#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "formats/gguf.h"
#include "model/model.h"
#include "tokenizer/tokenizer.h"

namespace minerva {

// Where the weights live after load_model (--huge-pages).
enum class HugePages {
  Auto,  // moved into 2 MB pages when the file is big enough to gain (kHugePagesAutoBytes) and
         // at most half the available memory, unless the kernel's huge pages are off
  On,    // moved whatever the size and memory (still only where the kernel has huge pages)
  Off,   // read from the mapped file (the page cache) only
};
inline constexpr uint64_t kHugePagesAutoBytes = uint64_t{32} << 20;
// "auto", "on" or "off" (any case); the error names the value and the choices.
Result<HugePages> parse_huge_pages(std::string_view name);

// The move of a model's weights into huge pages (MappedFile::move_to_huge_pages) on a thread of
// its own, from start() on: the first tokens come from the mapped file, later ones from the
// copy, at the same addresses. Destruction cancels and joins.
class HugePageMove {
 public:
  // on_done (optional) runs on the move's thread when it ends, with its outcome and duration.
  using DoneFn = std::function<void(const Result<size_t>&, double ms)>;
  explicit HugePageMove(std::shared_ptr<const GgufFile> file, DoneFn on_done = nullptr);
  ~HugePageMove();
  void start();  // once; later calls do nothing
  HugePageMove(const HugePageMove&) = delete;
  HugePageMove& operator=(const HugePageMove&) = delete;
  // Blocks until the move has ended; its outcome (bytes moved, or why not) and duration.
  const Result<size_t>& wait();
  double ms() const { return ms_; }  // after wait()
  bool started() const { return started_.load(); }
  bool finished();

 private:
  std::shared_ptr<const GgufFile> file_;
  std::atomic<bool> cancel_{false};
  std::mutex mu_;
  std::condition_variable done_cv_;
  std::optional<Result<size_t>> result_;
  double ms_ = 0.0;
  DoneFn on_done_;
  std::atomic<bool> started_{false};
  std::thread thread_;
};

struct LoadOptions {
  HugePages huge_pages = HugePages::Auto;
  HugePageMove::DoneFn on_huge_pages;  // passed to the move, if there is one
  // Leave the move to the caller's start(): `run` starts it after the first token, so the copy
  // does not compete with loading and the prompt.
  bool defer_huge_pages = false;
};

// Everything needed to run one GGUF model: the mapped file, validated weights and the
// tokenizer. Immutable; share it between sequences.
struct LoadedModel {
  std::shared_ptr<const GgufFile> file;
  std::shared_ptr<const Model> model;
  std::shared_ptr<const Tokenizer> tokenizer;
  double load_ms = 0.0;
  std::shared_ptr<HugePageMove> huge_pages;  // null when the weights stay in the mapped file
  // Where the weights are read from now: "huge pages", "mapped file (moving to huge pages)" or
  // "mapped file", plus why when a move failed.
  std::string weights_memory() const;
};

// Opens, validates and loads `path`. Errors are one line naming the file and the problem.
Result<LoadedModel> load_model(const std::string& path, const LoadOptions& opts = {});

// Opens `path` and loads only its tokenizer (no weights needed), for tokenize commands.
Result<std::shared_ptr<const Tokenizer>> load_tokenizer(const std::string& path);

}  // namespace minerva
