#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "engine/job.h"
#include "engine/loaded_model.h"
#include "grammar/token_mask.h"
#include "model/context.h"

namespace minerva {

struct SchedulerOptions {
  int32_t n_slots = 1;           // sequences decoded together (--parallel)
  int64_t n_ctx = 4096;          // positions per slot
  int threads = 1;               // compute threads
  size_t max_queue = 64;         // requests waiting for a slot before submit() refuses
  int64_t max_batch = 512;       // tokens per forward pass (prefill chunks + decode tokens)
  KvType kv_type = KvType::F16;  // KV cache element type
};

struct SchedulerStats {
  int32_t slots = 0;
  int32_t busy_slots = 0;
  size_t queued = 0;
  int64_t generated_total = 0;  // tokens generated since start, cancelled requests included
  int64_t prompt_total = 0;     // prompt tokens evaluated since start (cache hits excluded)
};

// Continuous batching: one thread owns the model context and, every step, runs one forward
// pass over the decode tokens of all generating slots plus prefill chunks of new ones. A
// request joins at the next step; requests beyond the slots wait in a bounded queue.
// submit() and stats() are thread-safe.
class Scheduler {
 public:
  Scheduler(LoadedModel model, SchedulerOptions opts);
  ~Scheduler();  // cancels everything, joins the thread
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Queues a request. Errors: empty prompt or one that does not fit the context (the message
  // gives both numbers), invalid sampling parameters, or a full queue (queue_full set).
  struct SubmitError {
    Error error;
    bool queue_full = false;
  };
  std::shared_ptr<Job> submit(GenerationRequest req, SubmitError* err);

  SchedulerStats stats() const;
  const LoadedModel& model() const { return model_; }
  int64_t n_ctx() const { return opts_.n_ctx; }

 private:
  struct Slot;
  void loop();
  void admit_waiting();
  void start(Slot& slot, std::shared_ptr<Job> job);
  bool step();  // false when there was nothing to do
  void sample_and_emit(Slot& slot, std::span<const float> logits);
  void finish(Slot& slot, FinishReason reason, const std::string& error = {});
  // Masks `logits` (copied into slot.biased) to the tokens the slot's grammar allows; false
  // when no token can continue (the slot is then finished).
  bool apply_grammar(Slot& slot, std::span<const float>& logits);
  const grammar::TokenTrie& token_trie();  // built on first use

  LoadedModel model_;
  SchedulerOptions opts_;
  ThreadPool pool_;
  Context ctx_;
  std::vector<std::unique_ptr<Slot>> slots_;
  std::unique_ptr<grammar::TokenTrie> trie_;  // scheduler thread only

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Job>> queue_;
  int32_t busy_ = 0;
  bool stop_ = false;
  std::atomic<int64_t> generated_total_{0};
  std::atomic<int64_t> prompt_total_{0};
  std::thread thread_;
};

}  // namespace minerva
