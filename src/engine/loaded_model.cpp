#include "engine/loaded_model.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <fstream>
#include <sstream>

namespace minerva {

namespace {
// The move thread's nice value: at 0 it slowed a 200-token generation running beside it from
// 30-32 to 24-25 t/s; at 10 or 19 the move still finished within that generation.
constexpr int kMoveNice = 10;

Result<std::shared_ptr<const GgufFile>> open_gguf(const std::string& path) {
  MINERVA_TRY(GgufFile f, GgufFile::open(path));
  return std::make_shared<const GgufFile>(std::move(f));
}

// Whether the kernel's transparent huge pages are switched off ("[never]"); unknown counts as on.
bool huge_pages_off() {
  std::ifstream in("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string line;
  return std::getline(in, line) && line.find("[never]") != std::string::npos;
}

// MemAvailable from /proc/meminfo in bytes, or 0 when unknown.
uint64_t available_memory() {
  std::ifstream in("/proc/meminfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("MemAvailable:", 0) == 0) {
      std::istringstream fields(line.substr(13));
      uint64_t kb = 0;
      fields >> kb;
      return kb * 1024;
    }
  }
  return 0;
}

bool want_huge_pages(const GgufFile& file, HugePages mode) {
  if (mode != HugePages::Auto) return mode == HugePages::On;
  if (file.file_size() < kHugePagesAutoBytes || huge_pages_off()) return false;
  const uint64_t avail = available_memory();
  return avail == 0 || file.file_size() <= avail / 2;
}
}  // namespace

Result<HugePages> parse_huge_pages(std::string_view name) {
  std::string lower(name);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "auto") return HugePages::Auto;
  if (lower == "on") return HugePages::On;
  if (lower == "off") return HugePages::Off;
  return make_error("--huge-pages '" + std::string(name) + "' is not one of auto, on, off");
}

HugePageMove::HugePageMove(std::shared_ptr<const GgufFile> file, DoneFn on_done)
    : file_(std::move(file)), on_done_(std::move(on_done)) {}

void HugePageMove::start() {
  if (started_.exchange(true)) return;
  thread_ = std::thread([this] {
    // A lower priority than the compute threads (Linux: nice applies per thread): the copy
    // costs seconds of CPU where the host backs fresh memory lazily (a VM), and generation
    // running meanwhile should not wait for it; idle time, or a waiter, lets it run freely.
    setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), kMoveNice);
    const auto t0 = std::chrono::steady_clock::now();
    Result<size_t> r = file_->mapping().move_to_huge_pages(cancel_);
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    {
      std::lock_guard<std::mutex> lock(mu_);
      ms_ = ms;
      result_.emplace(std::move(r));
    }
    done_cv_.notify_all();
    if (on_done_) on_done_(*result_, ms);  // result_ no longer changes
  });
}

bool HugePageMove::finished() {
  std::lock_guard<std::mutex> lock(mu_);
  return result_.has_value();
}

HugePageMove::~HugePageMove() {
  cancel_.store(true);
  if (thread_.joinable()) thread_.join();
}

const Result<size_t>& HugePageMove::wait() {
  start();
  std::unique_lock<std::mutex> lock(mu_);
  done_cv_.wait(lock, [this] { return result_.has_value(); });
  return *result_;
}

Result<LoadedModel> load_model(const std::string& path, const LoadOptions& opts) {
  const auto t0 = std::chrono::steady_clock::now();
  LoadedModel lm;
  MINERVA_TRY(lm.file, open_gguf(path));
  MINERVA_TRY(lm.model, Model::load(lm.file));
  MINERVA_TRY(Tokenizer tok, Tokenizer::from_gguf(*lm.file));
  lm.tokenizer = std::make_shared<const Tokenizer>(std::move(tok));
  if (static_cast<int64_t>(lm.tokenizer->vocab().size()) != lm.model->hparams().n_vocab) {
    return make_error(path + ": tokenizer has " + std::to_string(lm.tokenizer->vocab().size()) +
                      " tokens but token_embd.weight has " + std::to_string(lm.model->hparams().n_vocab) + " rows");
  }
  if (want_huge_pages(*lm.file, opts.huge_pages)) {
    lm.huge_pages = std::make_shared<HugePageMove>(lm.file, opts.on_huge_pages);
    if (!opts.defer_huge_pages) lm.huge_pages->start();
  }
  lm.load_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return lm;
}

std::string LoadedModel::weights_memory() const {
  if (huge_pages == nullptr || !huge_pages->started()) return "mapped file";
  if (!huge_pages->finished()) return "mapped file (moving to huge pages)";
  const Result<size_t>& r = huge_pages->wait();
  return r ? "huge pages" : "mapped file (" + r.error().message + ")";
}

Result<std::shared_ptr<const Tokenizer>> load_tokenizer(const std::string& path) {
  MINERVA_TRY(auto file, open_gguf(path));
  MINERVA_TRY(Tokenizer tok, Tokenizer::from_gguf(*file));
  return std::make_shared<const Tokenizer>(std::move(tok));
}

}  // namespace minerva
