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
// fn(begin, end) on the calling thread and the workers, returning when all are done.
// Workers spin briefly between jobs (token generation issues many small jobs back to
// back) and then sleep. run() must be called from one thread at a time.
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
  void worker_loop(int index);
  void work_on_current_job();

  int n_threads_;
  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> pending_{0};  // workers still busy with the current job
  std::atomic<int64_t> next_chunk_{0};
  bool stop_ = false;
  // Current job, published before generation_ is bumped.
  const std::function<void(int64_t, int64_t)>* fn_ = nullptr;
  int64_t n_ = 0;
  int64_t chunk_ = 1;
};

// Physical-ish default: the number of online CPUs (never below 1).
int default_thread_count();

}  // namespace minerva
