#include "engine/sampler.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>

namespace minerva {
namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();
constexpr float kPosInf = std::numeric_limits<float>::infinity();

// Top-p bucketing: fine enough that the crossing bucket holds few tokens for real logits.
constexpr size_t kBuckets = 2048;
constexpr double kBucketRange = 32.0;  // nats below the max logit

// The one ranking used everywhere: higher logit first, then lower id. A total order, so std::sort and the heap
// give the same result with every standard library, which keeps seeded sampling reproducible across platforms.
constexpr auto kBetter = [](const auto& a, const auto& b) {
  return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
};

std::string format_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

Error field_error(const char* field, const std::string& rule, double got) {
  return make_error(std::string("sampling parameter ") + field + " " + rule + ", got " + format_number(got));
}

// Min or max over n values with four independent accumulators: a single running one is latency-bound (one
// dependent minss/maxss per element), which showed up as a third of top-p's time on a 150k vocab.
template <typename Get, typename Pick>
float reduce4(size_t n, float init, Get get, Pick pick) {
  float acc[4] = {init, init, init, init};
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    for (size_t j = 0; j < 4; ++j) acc[j] = pick(acc[j], get(i + j));
  }
  for (; i < n; ++i) acc[0] = pick(acc[0], get(i));
  return pick(pick(acc[0], acc[1]), pick(acc[2], acc[3]));
}

// std::max/min keep the first argument when the second is NaN, so NaN logits drop out of these.
constexpr auto kMax = [](float a, float b) { return std::max(a, b); };
constexpr auto kMin = [](float a, float b) { return std::min(a, b); };

// Calls f(id, logit) for every token with its penalties applied. `penalties` is ascending by id, so a cursor
// replaces a lookup and the loop stays one pass.
template <typename Penalties, typename Penalise, typename F>
void for_each_penalised(std::span<const float> logits, const Penalties& penalties, Penalise penalise, F f) {
  const size_t n = logits.size();
  size_t next = 0;
  size_t next_id = penalties.empty() ? n : static_cast<size_t>(penalties[0].id);
  for (size_t i = 0; i < n; ++i) {
    float l = logits[i];
    if (i == next_id) [[unlikely]] {
      l = penalise(l, penalties[next].count);
      next_id = ++next < penalties.size() ? static_cast<size_t>(penalties[next].id) : n;
    }
    f(i, l);
  }
}

}  // namespace

Status validate(const SamplingParams& p) {
  if (!std::isfinite(p.temperature)) return field_error("temperature", "must be a finite number", p.temperature);
  if (!(p.top_p > 0.0f && p.top_p <= 1.0f)) return field_error("top_p", "must be in (0, 1] (1 = off)", p.top_p);
  if (!(p.min_p >= 0.0f && p.min_p <= 1.0f)) return field_error("min_p", "must be in [0, 1] (0 = off)", p.min_p);
  if (!(p.repeat_penalty > 0.0f) || !std::isfinite(p.repeat_penalty)) {
    return field_error("repeat_penalty", "must be a finite number > 0 (1 = off)", p.repeat_penalty);
  }
  if (p.repeat_last_n < 0) return field_error("repeat_last_n", "must be >= 0 (0 = off)", p.repeat_last_n);
  if (!std::isfinite(p.presence_penalty)) {
    return field_error("presence_penalty", "must be a finite number", p.presence_penalty);
  }
  if (!std::isfinite(p.frequency_penalty)) {
    return field_error("frequency_penalty", "must be a finite number", p.frequency_penalty);
  }
  return Ok{};
}

Sampler::Sampler(const SamplingParams& params) : params_(params) { reseed(); }

void Sampler::reseed() {
  seed_ = params_.seed;
  if (seed_ == kRandomSeed) {
    std::random_device rd;
    // Never report kRandomSeed as the resolved seed: passing seed() back must reproduce this run.
    do {
      seed_ = (static_cast<uint64_t>(rd()) << 32) ^ static_cast<uint64_t>(rd());
    } while (seed_ == kRandomSeed);
  }
  rng_.seed(seed_);
}

void Sampler::reset() {
  history_.clear();
  history_head_ = 0;
  reseed();
}

void Sampler::accept(Token t) {
  const size_t cap = static_cast<size_t>(std::max<int32_t>(params_.repeat_last_n, 0));
  if (cap == 0) return;
  if (history_.size() < cap) {
    history_.push_back(t);
  } else {
    history_[history_head_] = t;
    history_head_ = (history_head_ + 1) % cap;
  }
}

double Sampler::next_uniform() {
  // Not std::uniform_real_distribution: its algorithm is implementation-defined.
  return static_cast<double>(rng_() >> 11) * 0x1.0p-53;
}

Token Sampler::sample(std::span<const float> logits) {
  assert(!logits.empty() && logits.size() <= static_cast<size_t>(std::numeric_limits<Token>::max()));
  if (logits.empty()) return 0;
  const size_t n = logits.size();
  collect_penalties(n);
  if (!(params_.temperature > 0.0f)) return greedy(logits);  // NaN temperature lands here too

  const size_t k = params_.top_k > 0 ? static_cast<size_t>(params_.top_k) : 0;
  if (k > 0 && k < n) {
    gather_top_k(logits, k);
  } else {
    gather_all(logits);
  }
  if (cands_.empty()) {
    next_uniform();  // keep "one RNG output per sampled token" even here
    return 0;
  }
  // No filter ever drops the best token, so this stays the max through the whole chain.
  max_logit_ = cands_sorted_ ? cands_[0].logit
                             : reduce4(
                                   cands_.size(), kNegInf, [&](size_t i) { return cands_[i].logit; }, kMax);
  if (max_logit_ == kPosInf) {
    // +inf outranks everything and would turn the softmax into NaN: keep those tokens, equally likely.
    std::erase_if(cands_, [](const Candidate& c) { return c.logit != kPosInf; });
    for (Candidate& c : cands_) c.logit = 0.0f;
    max_logit_ = 0.0f;
  }

  if (params_.top_p < 1.0f) top_p(params_.top_p);
  if (params_.min_p > 0.0f) min_p(params_.min_p);
  return draw(params_.temperature);
}

void Sampler::gather_all(std::span<const float> logits) {
  cands_.resize(logits.size());
  size_t m = 0;
  for_each_penalised(
      logits, penalties_, [this](float l, float c) { return penalised(l, c); },
      [&](size_t i, float l) {
        if (l > kNegInf) cands_[m++] = Candidate{static_cast<Token>(i), l};  // drops -inf and NaN
      });
  cands_.resize(m);
  cands_sorted_ = false;
}

void Sampler::gather_top_k(std::span<const float> logits, size_t k) {
  // Selection fused into the gather: a bounded heap whose front is the worst kept token, so most of a big vocab
  // costs one comparison and the full candidate list is never written. Same set as any exact selection, since
  // kBetter is a total order; then sorted.
  cands_.clear();
  float worst = kNegInf;  // front's logit once the heap is full
  for_each_penalised(
      logits, penalties_, [this](float l, float c) { return penalised(l, c); },
      [&](size_t i, float l) {
        if (!(l > kNegInf)) return;  // -inf and NaN are impossible
        const Candidate c{static_cast<Token>(i), l};
        if (cands_.size() < k) {
          cands_.push_back(c);
          std::push_heap(cands_.begin(), cands_.end(), kBetter);
          if (cands_.size() == k) worst = cands_.front().logit;
        } else if (l > worst) {  // a tie never wins: every kept id is lower than i
          std::pop_heap(cands_.begin(), cands_.end(), kBetter);
          cands_.back() = c;
          std::push_heap(cands_.begin(), cands_.end(), kBetter);
          worst = cands_.front().logit;
        }
      });
  std::sort(cands_.begin(), cands_.end(), kBetter);
  cands_sorted_ = true;
}

void Sampler::collect_penalties(size_t n_vocab) {
  penalties_.clear();
  if (history_.empty()) return;
  const float rp = params_.repeat_penalty;
  const bool repeat = std::isfinite(rp) && rp > 0.0f && rp != 1.0f;
  const bool freq = std::isfinite(params_.frequency_penalty) && params_.frequency_penalty != 0.0f;
  const bool pres = std::isfinite(params_.presence_penalty) && params_.presence_penalty != 0.0f;
  if (!repeat && !freq && !pres) return;

  // Counting by sorting a copy of the window: allocation-free after the first call and cheap for its size.
  window_scratch_.assign(history_.begin(), history_.end());
  std::sort(window_scratch_.begin(), window_scratch_.end());
  for (size_t i = 0; i < window_scratch_.size();) {
    const Token t = window_scratch_[i];
    size_t j = i + 1;
    while (j < window_scratch_.size() && window_scratch_[j] == t) ++j;
    if (t >= 0 && static_cast<size_t>(t) < n_vocab) penalties_.push_back(Penalty{t, static_cast<float>(j - i)});
    i = j;
  }
}

float Sampler::penalised(float l, float count) const {
  const float rp = params_.repeat_penalty;
  // llama.cpp: dividing a negative logit would raise it, so those are multiplied instead.
  if (std::isfinite(rp) && rp > 0.0f && rp != 1.0f) l = l <= 0.0f ? l * rp : l / rp;
  const float freq = std::isfinite(params_.frequency_penalty) ? params_.frequency_penalty : 0.0f;
  const float pres = std::isfinite(params_.presence_penalty) ? params_.presence_penalty : 0.0f;
  return l - (count * freq + pres);
}

Token Sampler::greedy(std::span<const float> logits) const {
  // Argmax of the penalised logits, lowest id on ties, NaN skipped; all impossible -> 0.
  if (penalties_.empty()) {
    // Two cheap passes beat one index-tracking pass, which is latency-bound.
    const float max = reduce4(
        logits.size(), kNegInf, [&](size_t i) { return logits[i]; }, kMax);
    if (max == kNegInf) return 0;
    return static_cast<Token>(std::find(logits.begin(), logits.end(), max) - logits.begin());
  }
  size_t best = 0;
  float best_logit = kNegInf;
  for_each_penalised(
      logits, penalties_, [this](float l, float c) { return penalised(l, c); },
      [&](size_t i, float l) {
        if (l > best_logit) {  // strict: the lowest id wins ties
          best = i;
          best_logit = l;
        }
      });
  return static_cast<Token>(best);
}

void Sampler::top_p(double p) {
  const size_t n = cands_.size();
  if (n <= 1) return;
  const double max = max_logit_;
  if (!(p > 0.0)) {  // keep just the best (validate() rejects this; stay sane anyway)
    const Candidate best = cands_sorted_ ? cands_[0] : *std::min_element(cands_.begin(), cands_.end(), kBetter);
    cands_.assign(1, best);
    return;
  }

  if (cands_sorted_) {  // after top-k: a short sorted list, so walk the prefix
    double total = 0.0;
    for (const Candidate& c : cands_) total += std::exp(static_cast<double>(c.logit) - max);
    // cumulative prob >= p  <=>  cumulative weight >= p * total (no need to normalise)
    const double target = p * total;
    double cum = 0.0;
    for (size_t i = 0; i < n; ++i) {
      cum += std::exp(static_cast<double>(cands_[i].logit) - max);
      if (cum >= target) {
        cands_.resize(i + 1);  // the first token always stays
        return;
      }
    }
    return;  // rounding left cum a hair short of target: keep everything
  }

  // Unsorted and possibly the whole vocab. Bucket the tokens by logit (a monotone map, so every token of an
  // earlier bucket outranks every token of a later one), find the bucket where the cumulative weight crosses
  // p * total, and rank only that bucket's tokens. O(n), no sort; cands_ is then filtered and keeps its id order.
  // Every summation order is fixed by this code, so rounding at the boundary is the same on every platform.
  const float lowest = reduce4(
      n, kPosInf, [&](size_t i) { return cands_[i].logit; }, kMin);
  // Tokens more than kBucketRange below the max weigh < 1e-13 of it each; they share the last bucket.
  const double range = std::min(max - static_cast<double>(lowest), kBucketRange);
  const double scale = range > 0.0 ? static_cast<double>(kBuckets) / range : 0.0;
  const auto bucket_of = [&](float l) {
    return static_cast<size_t>(std::min((max - static_cast<double>(l)) * scale, static_cast<double>(kBuckets - 1)));
  };
  weights_.resize(n);
  bucket_mass_.assign(kBuckets, 0.0);
  for (size_t i = 0; i < n; ++i) {
    const double w = std::exp(static_cast<double>(cands_[i].logit) - max);
    weights_[i] = w;
    bucket_mass_[bucket_of(cands_[i].logit)] += w;
  }
  double total = 0.0;
  for (double w : bucket_mass_) total += w;
  // cumulative prob >= p  <=>  cumulative weight >= p * total (no need to normalise)
  const double target = p * total;
  size_t b = 0;
  double above = 0.0;  // weight of the buckets before b
  for (; b < kBuckets && above + bucket_mass_[b] < target; ++b) above += bucket_mass_[b];
  if (b == kBuckets) return;  // unreachable (target <= total); keep everything

  select_.clear();
  for (size_t i = 0; i < n; ++i) {
    if (bucket_of(cands_[i].logit) == b) select_.push_back(Weighted{cands_[i].id, cands_[i].logit, weights_[i]});
  }
  const Candidate cut = select_cutoff(above, target);
  std::erase_if(cands_, [&](const Candidate& c) { return kBetter(cut, c); });  // keeps order
}

Sampler::Candidate Sampler::select_cutoff(double above, double target) {
  // Weighted quickselect over select_: the token whose inclusion first brings the cumulative weight (starting
  // from `above`, which is < target) to target. Expected O(size); our own partition, so platform-independent.
  size_t lo = 0;
  size_t hi = select_.size();
  for (;;) {
    // Median-of-three pivot, parked at hi - 1.
    const size_t mid = lo + (hi - lo) / 2;
    if (kBetter(select_[hi - 1], select_[lo])) std::swap(select_[hi - 1], select_[lo]);
    if (kBetter(select_[mid], select_[lo])) std::swap(select_[mid], select_[lo]);
    if (kBetter(select_[mid], select_[hi - 1])) std::swap(select_[mid], select_[hi - 1]);  // lo best, hi-1 next
    const Weighted pivot = select_[hi - 1];
    size_t store = lo;
    double better = 0.0;
    for (size_t i = lo; i + 1 < hi; ++i) {
      if (kBetter(select_[i], pivot)) {
        better += select_[i].weight;
        std::swap(select_[i], select_[store++]);
      }
    }
    std::swap(select_[store], select_[hi - 1]);
    if (above + better >= target) {
      hi = store;  // the cut-off ranks before the pivot (non-empty, as above < target)
    } else if (above + better + pivot.weight >= target || store + 1 == hi) {
      return Candidate{pivot.id, pivot.logit};  // the pivot completes the prefix (or is the last one left)
    } else {
      above += better + pivot.weight;
      lo = store + 1;
    }
  }
}

void Sampler::min_p(double p) {
  if (cands_.size() <= 1) return;
  const double max = max_logit_;
  // prob >= p * max_prob  <=>  logit - max_logit >= log(p): no softmax needed. Clamping p to 1 keeps the max.
  const double log_p = std::log(std::min(p, 1.0));
  // erase_if keeps the survivors' order, so a sorted list stays sorted.
  std::erase_if(cands_, [&](const Candidate& c) { return static_cast<double>(c.logit) - max < log_p; });
}

Token Sampler::draw(double temperature) {
  const size_t n = cands_.size();
  const double u = next_uniform();  // always exactly one RNG output per sampled token
  if (n == 1) return cands_[0].id;

  // Temperature divides the logits; subtracting the max first keeps exp() in range (the max weighs exactly 1,
  // so the total is >= 1 even for a tiny temperature).
  const double max = max_logit_;
  weights_.resize(n);
  double total = 0.0;
  for (size_t i = 0; i < n; ++i) {
    const double w = std::exp((static_cast<double>(cands_[i].logit) - max) / temperature);
    weights_[i] = w;
    total += w;
  }
  const double target = u * total;
  double cum = 0.0;
  for (size_t i = 0; i < n; ++i) {
    cum += weights_[i];
    if (target < cum) return cands_[i].id;
  }
  // u * total rounded up to total: take the last token that has any weight.
  for (size_t i = n; i-- > 0;) {
    if (weights_[i] > 0.0) return cands_[i].id;
  }
  return cands_[0].id;
}

}  // namespace minerva
