// engine: token sampling from a logits vector (penalties, top-k, top-p, min-p, temperature).
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "util/error.h"

namespace minerva {

// Also declared, identically, by tokenizer/tokenizer.h; a repeated identical alias is legal.
using Token = int32_t;

// llama.cpp's LLAMA_DEFAULT_SEED: "pick a random seed".
inline constexpr uint64_t kRandomSeed = 0xFFFFFFFF;

struct SamplingParams {
  float temperature = 0.8f;        // <= 0: greedy (argmax, ties -> lowest id)
  int32_t top_k = 40;              // <= 0: off
  float top_p = 0.95f;             // >= 1: off
  float min_p = 0.05f;             // <= 0: off
  float repeat_penalty = 1.0f;     // 1: off; llama.cpp semantics (positive logit /= p, negative *= p)
  int32_t repeat_last_n = 64;      // penalty window: the last n accepted tokens; 0: penalties off
  float presence_penalty = 0.0f;   // OpenAI semantics over the same window: logit -= presence if seen
  float frequency_penalty = 0.0f;  // ... and logit -= frequency * count
  uint64_t seed = kRandomSeed;     // kRandomSeed: pick one from std::random_device
};

// Errors name the offending field. Non-finite floats are rejected everywhere; a negative temperature is
// fine (greedy); top_p must be in (0,1], min_p in [0,1], repeat_penalty > 0, repeat_last_n >= 0.
Status validate(const SamplingParams& p);

// Per-sequence sampling state: the penalty window and the RNG. Not thread-safe; cheap to construct (buffers
// grow on first use and are reused, so steady-state sample() does not allocate).
//
// Chain, as llama.cpp's default: penalties -> top-k -> top-p -> min-p -> temperature -> draw. The filters see
// temperature-1 probabilities; temperature only shapes the final draw. Given the same seed and the same
// sequence of logits and accept() calls, the tokens are the same on every platform: std::mt19937_64 is fully
// specified, doubles are made from its top 53 bits by hand, and all orderings use a total order
// (logit desc, id asc). (exp() from a different libm can in principle differ in the last bit.)
//
// NaN logits count as -inf (impossible). If any logit is +inf, only the +inf tokens stay, equally likely.
// If every token is impossible, sample() returns token 0.
//
// Parameters are expected to have passed validate(); invalid ones never crash, they act as "off" or are clamped.
class Sampler {
 public:
  explicit Sampler(const SamplingParams& params);

  // Applies the chain and returns the chosen id. `logits` (one per vocab entry, non-empty) is not modified.
  // Each non-greedy call consumes exactly one RNG output; greedy calls consume none.
  Token sample(std::span<const float> logits);

  // Records t in the penalty window. Call it for prompt tokens too if they should be penalised.
  // Ids outside the vocab passed to sample() are kept but ignored.
  void accept(Token t);

  // Clears the penalty window and re-seeds: a fixed seed restarts the same stream; kRandomSeed draws a fresh
  // seed (as llama.cpp does on reset).
  void reset();

  // The seed in use (never kRandomSeed once resolved).
  uint64_t seed() const { return seed_; }
  const SamplingParams& params() const { return params_; }

 private:
  struct Candidate {
    Token id;
    float logit;
  };
  struct Weighted {
    Token id;
    float logit;
    double weight;
  };
  struct Penalty {
    Token id;
    float count;
  };

  void reseed();
  void collect_penalties(size_t n_vocab);
  float penalised(float logit, float count) const;
  Token greedy(std::span<const float> logits) const;
  void gather_all(std::span<const float> logits);
  void gather_top_k(std::span<const float> logits, size_t k);
  void top_p(double p);
  Candidate select_cutoff(double above, double target);
  void min_p(double p);
  Token draw(double temperature);
  double next_uniform();  // [0,1) from the top 53 bits of one mt19937_64 output

  SamplingParams params_;
  uint64_t seed_ = 0;
  std::mt19937_64 rng_;

  // Penalty window: a ring of the last repeat_last_n accepted tokens, grown on demand.
  std::vector<Token> history_;
  size_t history_head_ = 0;  // next slot to overwrite once history_ is full

  // Reused per-call buffers.
  std::vector<Candidate> cands_;  // surviving tokens: in id order, or sorted after top-k
  bool cands_sorted_ = false;     // sorted by (logit desc, id asc)
  float max_logit_ = 0.0f;        // of cands_
  std::vector<Weighted> select_;  // top-p selection
  std::vector<double> bucket_mass_;
  std::vector<Token> window_scratch_;
  std::vector<Penalty> penalties_;  // this call's penalised ids (in vocab range), ascending
  std::vector<double> weights_;
};

}  // namespace minerva
