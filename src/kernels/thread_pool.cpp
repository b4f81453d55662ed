#include "kernels/thread_pool.h"

#include <algorithm>

namespace minerva {

namespace {
// How long an idle worker polls for the next job before sleeping. Generation issues a job
// every few microseconds, so a short spin avoids a futex wake-up per matmul.
constexpr int kSpinIterations = 20000;
constexpr uint64_t kMaxChunks = 0xffff;

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

inline uint32_t gen_of(uint64_t s) { return static_cast<uint32_t>(s >> 32); }
inline uint64_t chunks_of(uint64_t s) { return (s >> 16) & 0xffff; }
inline uint64_t next_of(uint64_t s) { return s & 0xffff; }
}  // namespace

ThreadPool::ThreadPool(int n_threads) : n_threads_(std::max(1, n_threads)) {
  for (int i = 1; i < n_threads_; ++i) workers_.emplace_back([this] { worker_loop(); });
}

ThreadPool::~ThreadPool() {
  stop_.store(true);
  {
    std::lock_guard<std::mutex> lock(mu_);  // a worker between its check and wait() sees stop_
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::help(uint32_t gen) {
  uint64_t s = state_.load(std::memory_order_acquire);
  for (;;) {
    if (gen_of(s) != gen || next_of(s) >= chunks_of(s)) return;
    if (!state_.compare_exchange_weak(s, s + 1, std::memory_order_acq_rel, std::memory_order_acquire)) continue;
    // The chunk is ours, so this job cannot finish (and be replaced) before we are done.
    const auto idx = static_cast<int64_t>(next_of(s));
    (*fn_)(idx * chunk_, std::min(n_, (idx + 1) * chunk_));
    done_.fetch_add(1, std::memory_order_release);
    s = state_.load(std::memory_order_acquire);
  }
}

void ThreadPool::run(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  grain = std::max<int64_t>(1, grain);
  const int64_t max_useful = (n + grain - 1) / grain;
  if (workers_.empty() || max_useful <= 1) {
    fn(0, n);
    return;
  }
  // Several chunks per thread balance uneven work without much atomic traffic.
  const int64_t target =
      std::min<int64_t>({max_useful, static_cast<int64_t>(n_threads_) * 4, static_cast<int64_t>(kMaxChunks)});
  chunk_ = (n + target - 1) / target;
  const auto n_chunks = static_cast<uint64_t>((n + chunk_ - 1) / chunk_);
  fn_ = &fn;
  n_ = n;
  done_.store(0, std::memory_order_relaxed);
  const uint32_t gen = ++generation_;
  state_.store((static_cast<uint64_t>(gen) << 32) | (n_chunks << 16), std::memory_order_seq_cst);
  if (sleepers_.load(std::memory_order_seq_cst) > 0) {
    std::lock_guard<std::mutex> lock(mu_);
    wake_.notify_all();
  }
  help(gen);
  // Only chunks already claimed by running workers remain; they finish within microseconds
  // unless the machine is oversubscribed, so stop burning the core after a short spin.
  for (int spin = 0; done_.load(std::memory_order_acquire) != static_cast<int64_t>(n_chunks); ++spin) {
    if (spin < kSpinIterations) {
      cpu_relax();
    } else {
      std::this_thread::yield();
    }
  }
}

void ThreadPool::worker_loop() {
  uint32_t seen = 0;
  for (;;) {
    uint32_t gen = gen_of(state_.load(std::memory_order_acquire));
    for (int spin = 0; gen == seen && spin < kSpinIterations && !stop_.load(std::memory_order_relaxed); ++spin) {
      cpu_relax();
      gen = gen_of(state_.load(std::memory_order_acquire));
    }
    if (gen == seen) {
      std::unique_lock<std::mutex> lock(mu_);
      sleepers_.fetch_add(1, std::memory_order_seq_cst);
      wake_.wait(lock, [&] { return stop_.load() || gen_of(state_.load(std::memory_order_seq_cst)) != seen; });
      sleepers_.fetch_sub(1, std::memory_order_relaxed);
      gen = gen_of(state_.load(std::memory_order_acquire));
    }
    if (stop_.load()) return;
    seen = gen;
    help(gen);
  }
}

int default_thread_count() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

}  // namespace minerva
