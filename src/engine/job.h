#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "engine/sampler.h"
#include "grammar/grammar.h"
#include "util/error.h"

namespace minerva {

// What a client asks the scheduler to generate.
struct GenerationRequest {
  std::vector<Token> prompt;  // already tokenized (BOS included when wanted)
  SamplingParams sampling;
  int64_t max_tokens = -1;                          // < 0: until end of generation or the context is full
  std::vector<std::string> stop;                    // stop strings; the text stops before the first match
  std::vector<std::pair<Token, float>> logit_bias;  // added to the logits before sampling
  int32_t logprobs = -1;    // < 0: off; else report each token's log-probability and this many alternatives
  bool ignore_eos = false;  // end-of-generation tokens are never sampled (llama.cpp's field; fixed-length benchmarks)
  // Constrained decoding: only tokens that keep the output a prefix of a sentence of this
  // grammar are sampled, and end-of-generation only once the output is a whole sentence.
  std::shared_ptr<const grammar::Grammar> grammar;
};

// Log-probability (under the model's distribution, before sampling filters) of one generated
// token and of the most likely alternatives at that step.
struct TokenLogprob {
  Token token = 0;
  float logprob = 0.0f;
  std::vector<std::pair<Token, float>> top;  // most likely first
};

enum class FinishReason { Stop, Length, Cancelled, Error };

// Counters and times of one finished (or finishing) generation.
struct GenerationUsage {
  int64_t prompt_tokens = 0;
  int64_t cached_tokens = 0;  // prompt tokens reused from the slot's cache
  int64_t completion_tokens = 0;
  double prompt_ms = 0.0;
  double generation_ms = 0.0;
  double queue_ms = 0.0;    // time waiting for a free slot
  double grammar_ms = 0.0;  // computing and applying grammar token masks
};

// One message from the scheduler to the request's consumer. `text` is complete UTF-8 and
// never contains (part of) a stop string. The last event has `finish` set.
struct JobEvent {
  std::string text;
  std::optional<FinishReason> finish;
  std::string error;  // when finish == Error
  GenerationUsage usage;
  std::vector<TokenLogprob> logprobs;  // tokens produced since the previous event, when requested
};

// The channel between one request's consumer (an HTTP thread) and the scheduler thread.
// Thread-safe. The consumer reads events and may cancel; the scheduler pushes events.
class Job {
 public:
  explicit Job(GenerationRequest req) : request_(std::move(req)) {}

  const GenerationRequest& request() const { return request_; }

  // Consumer: waits up to `timeout` for the next event; nullopt on timeout.
  std::optional<JobEvent> next(std::chrono::milliseconds timeout);
  // Consumer: asks the scheduler to stop; it frees the slot within one decoding step.
  void cancel() { cancelled_.store(true, std::memory_order_relaxed); }
  bool cancelled() const { return cancelled_.load(std::memory_order_relaxed); }

  // Scheduler side.
  void push(JobEvent ev);
  // Tokens generated so far (readable from any thread, for tests and metrics).
  int64_t generated() const { return generated_.load(std::memory_order_relaxed); }
  void set_generated(int64_t n) { generated_.store(n, std::memory_order_relaxed); }

 private:
  GenerationRequest request_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<JobEvent> events_;
  std::atomic<bool> cancelled_{false};
  std::atomic<int64_t> generated_{0};
};

}  // namespace minerva
