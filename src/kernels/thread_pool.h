#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace minerva {

// A persistent pool of compute threads. run() splits [0, n) into chunks and calls
// fn(begin, end) on the calling thread and the workers, returning when every chunk is done.
// The caller works too and never waits for a worker that has not picked up a chunk, so a
// descheduled or sleeping worker costs nothing. Workers spin briefly between jobs (token
// generation issues many small jobs back to back) and then sleep.
// run() must be called from one thread at a time; fn must not throw.
class ThreadPool {
 public:
  explicit ThreadPool(int n_threads);  // n_threads includes the caller; 1 = no workers
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return n_threads_; }

  // Calls fn on disjoint chunks covering [0, n); `grain` is the smallest chunk worth a thread.
  void run(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

 private:
  void worker_loop();
  // Claims and runs chunks of job `gen` until none is left.
  void help(uint32_t gen);

  int n_threads_;
  std::vector<std::thread> workers_;
  // (generation << 32) | (chunk count << 16) | next chunk: one word, so claiming a chunk
  // (a CAS) also proves the job is still the current one.
  std::atomic<uint64_t> state_{0};
  std::atomic<int64_t> done_{0};  // chunks finished in the current job
  uint32_t generation_ = 0;
  // The current job; written before state_ publishes it, read only after claiming a chunk.
  const std::function<void(int64_t, int64_t)>* fn_ = nullptr;
  int64_t n_ = 0;
  int64_t chunk_ = 1;
  // Sleeping workers.
  std::mutex mu_;
  std::condition_variable wake_;
  std::atomic<int> sleepers_{0};
  std::atomic<bool> stop_{false};
};

// Physical-ish default: the number of online CPUs (never below 1).
int default_thread_count();

}  // namespace minerva
