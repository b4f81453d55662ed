#include "engine/sampler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace minerva {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// Temperature 1 and every filter off: sampling straight from softmax(logits).
SamplingParams plain(uint64_t seed = 1234) {
  SamplingParams p;
  p.temperature = 1.0f;
  p.top_k = 0;
  p.top_p = 1.0f;
  p.min_p = 0.0f;
  p.seed = seed;
  return p;
}

SamplingParams greedy() {
  SamplingParams p = plain();
  p.temperature = 0.0f;
  return p;
}

std::vector<double> softmax(const std::vector<float>& logits, double temperature = 1.0) {
  double max = -std::numeric_limits<double>::infinity();
  for (float l : logits) max = std::max(max, static_cast<double>(l));
  std::vector<double> p(logits.size());
  double total = 0.0;
  for (size_t i = 0; i < logits.size(); ++i) total += p[i] = std::exp((logits[i] - max) / temperature);
  for (double& x : p) x /= total;
  return p;
}

// Logits whose softmax is exactly `probs` (up to float rounding).
std::vector<float> logits_of(const std::vector<double>& probs) {
  std::vector<float> l;
  for (double p : probs) l.push_back(static_cast<float>(std::log(p)));
  return l;
}

std::vector<double> frequencies(Sampler& s, const std::vector<float>& logits, int draws) {
  std::vector<double> f(logits.size(), 0.0);
  for (int i = 0; i < draws; ++i) {
    const Token t = s.sample(logits);
    EXPECT_GE(t, 0);
    EXPECT_LT(static_cast<size_t>(t), logits.size());
    f[static_cast<size_t>(t)] += 1.0;
  }
  for (double& x : f) x /= draws;
  return f;
}

double max_abs_diff(const std::vector<double>& a, const std::vector<double>& b) {
  double d = 0.0;
  for (size_t i = 0; i < a.size(); ++i) d = std::max(d, std::abs(a[i] - b[i]));
  return d;
}

std::vector<float> random_logits(std::mt19937_64& rng, size_t n, float scale = 4.0f) {
  std::vector<float> l(n);
  // Test-side randomness only; its exact values never matter for pass/fail.
  std::normal_distribution<float> dist(0.0f, scale);
  for (float& x : l) x = dist(rng);
  return l;
}

Token argmax_lowest(const std::vector<float>& l) {
  size_t best = 0;
  for (size_t i = 1; i < l.size(); ++i) {
    if (l[i] > l[best]) best = i;
  }
  return static_cast<Token>(best);
}

// ---- greedy ----

TEST(SamplerGreedy, PicksArgmax) {
  Sampler s(greedy());
  EXPECT_EQ(s.sample(std::vector<float>{0.1f, 3.0f, -2.0f, 2.9f}), 1);
  EXPECT_EQ(s.sample(std::vector<float>{-5.0f, -4.0f, -6.0f}), 1);
  EXPECT_EQ(s.sample(std::vector<float>{7.0f}), 0);
}

TEST(SamplerGreedy, TiesPickLowestId) {
  Sampler s(greedy());
  EXPECT_EQ(s.sample(std::vector<float>{1.0f, 5.0f, 2.0f, 5.0f, 5.0f}), 1);
  EXPECT_EQ(s.sample(std::vector<float>{4.0f, 4.0f}), 0);
}

TEST(SamplerGreedy, NegativeTemperatureIsGreedy) {
  SamplingParams p = plain();
  p.temperature = -1.0f;
  ASSERT_TRUE(validate(p).ok());
  Sampler s(p);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(s.sample(std::vector<float>{1.0f, 1.2f, 1.1f}), 1);
}

TEST(SamplerGreedy, LogitsAreNotModified) {
  SamplingParams p = plain();
  p.repeat_penalty = 2.0f;
  p.frequency_penalty = 0.5f;
  p.top_k = 2;
  Sampler s(p);
  s.accept(0);
  const std::vector<float> logits{3.0f, -1.0f, 2.0f, kNaN, -kInf};
  const std::vector<float> copy = logits;
  (void)s.sample(logits);
  for (size_t i = 0; i < logits.size(); ++i) {
    if (std::isnan(copy[i])) {
      EXPECT_TRUE(std::isnan(logits[i]));
    } else {
      EXPECT_EQ(logits[i], copy[i]);
    }
  }
}

// ---- top-k / top-p / min-p ----

TEST(SamplerTopK, OneEqualsGreedyAtAnyTemperature) {
  std::mt19937_64 rng(7);
  for (float temperature : {0.05f, 0.8f, 1.0f, 5.0f, 1000.0f}) {
    SamplingParams p = plain(99);
    p.temperature = temperature;
    p.top_k = 1;
    Sampler s(p);
    for (int i = 0; i < 50; ++i) {
      std::vector<float> l = random_logits(rng, 300);
      if (i % 2 == 0) l[250] = l[17] = *std::max_element(l.begin(), l.end()) + 0.5f;  // a tie: lowest id wins
      EXPECT_EQ(s.sample(l), argmax_lowest(l)) << "temperature " << temperature;
    }
  }
}

TEST(SamplerTopK, KeepsKHighestWithRenormalisedProbabilities) {
  const std::vector<double> probs{0.1, 0.4, 0.05, 0.3, 0.15};
  SamplingParams p = plain(5);
  p.top_k = 2;
  Sampler s(p);
  const std::vector<double> f = frequencies(s, logits_of(probs), 20000);
  EXPECT_LT(max_abs_diff(f, {0.0, 4.0 / 7.0, 0.0, 3.0 / 7.0, 0.0}), 0.015);
  EXPECT_EQ(f[0] + f[2] + f[4], 0.0);
}

TEST(SamplerTopK, KAtLeastThePossibleTokensKeepsThemAll) {
  const std::vector<float> l{-kInf, 1.0f, kNaN, 1.2f, -kInf};
  for (int32_t k : {2, 3, 5, 100}) {
    SamplingParams p = plain(6);
    p.top_k = k;
    Sampler s(p);
    std::set<Token> seen;
    for (int i = 0; i < 200; ++i) seen.insert(s.sample(l));
    EXPECT_EQ(seen, (std::set<Token>{1, 3})) << "top_k " << k;
  }
}

TEST(SamplerTopP, TinyKeepsOnlyMax) {
  SamplingParams p = plain(11);
  p.top_p = 1e-6f;
  p.temperature = 100.0f;  // would make the draw nearly uniform if anything else survived
  Sampler s(p);
  const std::vector<float> l{1.0f, 1.1f, 0.9f, 1.05f};
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(s.sample(l), 1);
}

TEST(SamplerTopP, KeepsSmallestPrefixReachingP) {
  const std::vector<float> l = logits_of({0.15, 0.5, 0.05, 0.3});
  {
    SamplingParams p = plain(12);
    p.top_p = 0.7f;  // 0.5 < 0.7 <= 0.8: tokens 1 and 3
    Sampler s(p);
    EXPECT_LT(max_abs_diff(frequencies(s, l, 20000), {0.0, 0.625, 0.0, 0.375}), 0.015);
  }
  {
    SamplingParams p = plain(13);
    p.top_p = 0.9f;  // 0.8 < 0.9 <= 0.95: tokens 1, 3, 0
    Sampler s(p);
    EXPECT_LT(max_abs_diff(frequencies(s, l, 20000), {0.15 / 0.95, 0.5 / 0.95, 0.0, 0.3 / 0.95}), 0.015);
  }
}

// Sets top_p so that exactly the best `keep` tokens of `l` survive (by a full sort here; the sampler buckets and
// selects instead), then checks the survivors. A huge temperature makes the draw nearly uniform over whatever
// survived, so enough draws see every kept token and none other.
void expect_top_p_keeps(const std::vector<float>& l, size_t keep, uint64_t seed) {
  const std::vector<double> probs = softmax(l);
  std::vector<size_t> order(l.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return l[a] > l[b] || (l[a] == l[b] && a < b); });
  double before = 0.0;  // cumulative probability of the best keep - 1
  for (size_t r = 0; r + 1 < keep; ++r) before += probs[order[r]];
  const float top_p = static_cast<float>(before + probs[order[keep - 1]] / 2);
  std::set<Token> expected;
  for (size_t r = 0; r < keep; ++r) expected.insert(static_cast<Token>(order[r]));

  SamplingParams p = plain(seed);
  p.top_p = top_p;
  p.temperature = 1e4f;
  Sampler s(p);
  std::set<Token> seen;
  for (size_t i = 0; i < 15 * keep; ++i) seen.insert(s.sample(l));
  EXPECT_EQ(seen, expected) << "keep " << keep << ", top_p " << top_p;
}

TEST(SamplerTopP, WholeVocabMatchesFullSort) {
  std::mt19937_64 rng(21);
  const std::vector<float> l = random_logits(rng, 3000, 3.0f);
  for (size_t keep : {2, 40, 129}) expect_top_p_keeps(l, keep, 22);
}

TEST(SamplerTopP, WholeVocabTiesAndWideRanges) {
  expect_top_p_keeps(std::vector<float>(1000, 0.5f), 121, 23);  // all tied: the lowest ids
  expect_top_p_keeps(std::vector<float>(777, -2.0f), 90, 26);
  std::mt19937_64 rng(27);
  std::vector<float> levels(1000);
  for (float& x : levels) x = static_cast<float>(rng() % 4) * 0.5f;  // four tie groups, shuffled ids
  for (size_t keep : {50, 333}) expect_top_p_keeps(levels, keep, 28);
  std::vector<float> clusters(1000, -60.0f);  // far below the bucketed range
  for (size_t i = 0; i < 200; ++i) clusters[(i * 7) % 1000] = i < 100 ? 0.0f : -1.0f;
  expect_top_p_keeps(clusters, 150, 24);  // cuts inside the second tie group
  std::vector<float> wide(3000);
  for (size_t i = 0; i < wide.size(); ++i) wide[(i * 11) % wide.size()] = -0.05f * static_cast<float>(i);
  expect_top_p_keeps(wide, 40, 25);  // spans 150 nats
}

TEST(SamplerTopP, WholeVocabRandomTieHeavyCases) {
  std::mt19937_64 rng(29);
  for (uint64_t c = 0; c < 40; ++c) {
    std::vector<float> l(50 + rng() % 550);
    const uint64_t groups = 1 + rng() % 12;
    const float step = static_cast<float>(1 + rng() % 40) * 0.05f;
    for (float& x : l) x = -step * static_cast<float>(rng() % groups);
    expect_top_p_keeps(l, 1 + rng() % 60, 30 + c);
  }
}

TEST(SamplerMinP, OneKeepsOnlyMax) {
  SamplingParams p = plain(31);
  p.min_p = 1.0f;
  p.temperature = 100.0f;
  Sampler s(p);
  const std::vector<float> l{1.0f, 1.1f, 0.9f, 1.05f};
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(s.sample(l), 1);
}

TEST(SamplerMinP, DropsTokensBelowFractionOfMax) {
  SamplingParams p = plain(32);
  p.min_p = 0.5f;  // threshold 0.25: keeps 0.5 and 0.3
  Sampler s(p);
  EXPECT_LT(max_abs_diff(frequencies(s, logits_of({0.15, 0.5, 0.05, 0.3}), 20000), {0.0, 0.625, 0.0, 0.375}), 0.015);
}

// ---- chain order ----

TEST(SamplerChain, TopPSeesTopKRenormalised) {
  // After top-k=2 the probabilities are 4/7 and 3/7, so top_p=0.5 keeps one token; on the full distribution
  // (0.4 < 0.5) it would keep two.
  SamplingParams p = plain(41);
  p.top_k = 2;
  p.top_p = 0.5f;
  p.temperature = 50.0f;
  Sampler s(p);
  const std::vector<float> l = logits_of({0.4, 0.3, 0.2, 0.1});
  for (int i = 0; i < 500; ++i) ASSERT_EQ(s.sample(l), 0);
}

TEST(SamplerChain, MinPRunsAfterTopP) {
  // top_p=0.5 on {0.4, 0.3, 0.2, 0.1} keeps two tokens; min_p=0.6 then keeps both (0.3 >= 0.24). Had min-p run
  // first, top-p would see {4/7, 3/7} and keep one.
  SamplingParams p = plain(42);
  p.top_p = 0.5f;
  p.min_p = 0.6f;
  Sampler s(p);
  const std::vector<double> f = frequencies(s, logits_of({0.4, 0.3, 0.2, 0.1}), 20000);
  EXPECT_LT(max_abs_diff(f, {4.0 / 7.0, 3.0 / 7.0, 0.0, 0.0}), 0.015);
}

TEST(SamplerChain, FiltersSeeUntemperedProbabilities) {
  // min_p=0.5 judges temperature-1 probabilities (keeps 0.5 and 0.3); the high temperature then makes the two
  // survivors nearly equally likely. Tempering first would flatten everything past the threshold.
  SamplingParams p = plain(43);
  p.min_p = 0.5f;
  p.temperature = 1000.0f;
  Sampler s(p);
  const std::vector<double> f = frequencies(s, logits_of({0.15, 0.5, 0.05, 0.3}), 20000);
  EXPECT_LT(max_abs_diff(f, {0.0, 0.5, 0.0, 0.5}), 0.015);
}

// ---- distribution ----

TEST(SamplerDistribution, TemperatureOneMatchesSoftmax) {
  const std::vector<float> l{0.5f, 2.0f, -1.0f, 1.0f, 0.0f, 1.5f, -0.5f, 0.2f};
  Sampler s(plain(51));
  const std::vector<double> expected = softmax(l);
  const std::vector<double> f = frequencies(s, l, 20000);
  EXPECT_LT(max_abs_diff(f, expected), 0.01);
  // Chi-square with 7 degrees of freedom; 24.3 is the 0.999 quantile.
  double chi2 = 0.0;
  for (size_t i = 0; i < l.size(); ++i) chi2 += 20000.0 * std::pow(f[i] - expected[i], 2) / expected[i];
  EXPECT_LT(chi2, 24.3);
}

TEST(SamplerDistribution, TemperatureDividesLogits) {
  const std::vector<float> l{0.5f, 2.0f, -1.0f, 1.0f};
  for (double t : {0.5, 2.0}) {
    SamplingParams p = plain(52);
    p.temperature = static_cast<float>(t);
    Sampler s(p);
    EXPECT_LT(max_abs_diff(frequencies(s, l, 20000), softmax(l, t)), 0.015) << "temperature " << t;
  }
}

// ---- penalties ----

TEST(SamplerPenalty, RepeatPenaltyDividesPositiveLogit) {
  SamplingParams p = greedy();
  p.repeat_penalty = 2.0f;
  Sampler s(p);
  const std::vector<float> l{2.0f, 1.5f, 0.0f};
  EXPECT_EQ(s.sample(l), 0);
  s.accept(0);  // 2.0 / 2 = 1.0 < 1.5
  EXPECT_EQ(s.sample(l), 1);
}

TEST(SamplerPenalty, RepeatPenaltyMultipliesNegativeLogit) {
  SamplingParams p = greedy();
  p.repeat_penalty = 2.0f;
  Sampler s(p);
  const std::vector<float> l{-1.0f, -1.5f, -3.0f};
  EXPECT_EQ(s.sample(l), 0);
  s.accept(0);  // -1.0 * 2 = -2.0 < -1.5 (dividing would have raised it to -0.5)
  EXPECT_EQ(s.sample(l), 1);
}

TEST(SamplerPenalty, RepeatCountsOnceRegardlessOfOccurrences) {
  SamplingParams p = greedy();
  p.repeat_penalty = 1.5f;
  Sampler s(p);
  s.accept(0);
  s.accept(0);
  s.accept(0);
  // 2.0 / 1.5 = 1.33 > 1.3: one division, not three.
  EXPECT_EQ(s.sample(std::vector<float>{2.0f, 1.3f}), 0);
}

TEST(SamplerPenalty, WindowForgetsOldTokens) {
  SamplingParams p = greedy();
  p.repeat_penalty = 2.0f;
  p.repeat_last_n = 2;
  Sampler s(p);
  const std::vector<float> l{2.0f, 1.5f, 0.0f, 0.0f, 0.0f};
  s.accept(0);
  EXPECT_EQ(s.sample(l), 1);
  s.accept(3);
  EXPECT_EQ(s.sample(l), 1);
  s.accept(4);  // pushes 0 out of the 2-token window
  EXPECT_EQ(s.sample(l), 0);
}

TEST(SamplerPenalty, ZeroWindowDisablesPenalties) {
  SamplingParams p = greedy();
  p.repeat_penalty = 10.0f;
  p.presence_penalty = 10.0f;
  p.repeat_last_n = 0;
  Sampler s(p);
  s.accept(0);
  EXPECT_EQ(s.sample(std::vector<float>{2.0f, 1.5f}), 0);
}

TEST(SamplerPenalty, FrequencyPenaltyScalesWithCount) {
  SamplingParams p = greedy();
  p.frequency_penalty = 0.3f;
  Sampler s(p);
  const std::vector<float> l{2.0f, 1.5f};
  s.accept(0);  // 2.0 - 0.3 = 1.7
  EXPECT_EQ(s.sample(l), 0);
  s.accept(0);  // 2.0 - 0.6 = 1.4
  EXPECT_EQ(s.sample(l), 1);
}

TEST(SamplerPenalty, PresencePenaltyIsFlat) {
  SamplingParams p = greedy();
  p.presence_penalty = 0.4f;
  Sampler s(p);
  const std::vector<float> l{2.0f, 1.7f};
  s.accept(0);  // 2.0 - 0.4 = 1.6
  EXPECT_EQ(s.sample(l), 1);
  SamplingParams q = p;
  q.presence_penalty = 0.2f;
  Sampler s2(q);
  for (int i = 0; i < 5; ++i) s2.accept(0);  // 2.0 - 0.2 = 1.8 however often it was seen
  EXPECT_EQ(s2.sample(l), 0);
}

TEST(SamplerPenalty, AppliesBeforeTopK) {
  SamplingParams p = plain(61);
  p.top_k = 1;
  p.repeat_penalty = 2.0f;
  Sampler s(p);
  s.accept(0);
  EXPECT_EQ(s.sample(std::vector<float>{2.0f, 1.5f, 0.0f}), 1);
}

TEST(SamplerPenalty, ResetClearsHistoryAndOutOfRangeIdsAreIgnored) {
  SamplingParams p = greedy();
  p.repeat_penalty = 2.0f;
  Sampler s(p);
  const std::vector<float> l{2.0f, 1.5f};
  s.accept(-1);
  s.accept(100);
  EXPECT_EQ(s.sample(l), 0);
  s.accept(0);
  EXPECT_EQ(s.sample(l), 1);
  s.reset();
  EXPECT_EQ(s.sample(l), 0);
}

// ---- determinism ----

std::vector<Token> run_sequence(Sampler& s, uint64_t logits_seed, int n, size_t vocab = 1000) {
  std::mt19937_64 rng(logits_seed);
  std::vector<Token> out;
  for (int i = 0; i < n; ++i) {
    const Token t = s.sample(random_logits(rng, vocab, 2.0f));
    s.accept(t);
    out.push_back(t);
  }
  return out;
}

SamplingParams mixed(uint64_t seed) {
  SamplingParams p;  // the defaults: top-k 40, top-p 0.95, min-p 0.05, temperature 0.8
  p.repeat_penalty = 1.1f;
  p.frequency_penalty = 0.1f;
  p.seed = seed;
  return p;
}

TEST(SamplerDeterminism, SameSeedSameSequence) {
  for (const SamplingParams& p : {mixed(42), plain(42)}) {
    Sampler a(p);
    Sampler b(p);
    EXPECT_EQ(run_sequence(a, 1, 100), run_sequence(b, 1, 100));
  }
}

TEST(SamplerDeterminism, DifferentSeedsDiffer) {
  for (const auto& [pa, pb] : {std::pair{mixed(42), mixed(43)}, std::pair{plain(42), plain(43)}}) {
    Sampler a(pa);
    Sampler b(pb);
    EXPECT_NE(run_sequence(a, 1, 100), run_sequence(b, 1, 100));
  }
}

TEST(SamplerDeterminism, ResetReplaysTheSequence) {
  Sampler s(mixed(7));
  const std::vector<Token> first = run_sequence(s, 3, 100);
  s.reset();
  EXPECT_EQ(run_sequence(s, 3, 100), first);
}

TEST(SamplerDeterminism, RandomSeedIsResolvedAndReproducible) {
  SamplingParams p = mixed(kRandomSeed);
  Sampler a(p);
  EXPECT_NE(a.seed(), kRandomSeed);
  const std::vector<Token> seq = run_sequence(a, 5, 50);
  p.seed = a.seed();
  Sampler b(p);
  EXPECT_EQ(b.seed(), p.seed);
  EXPECT_EQ(run_sequence(b, 5, 50), seq);
  Sampler c(mixed(kRandomSeed));
  EXPECT_NE(c.seed(), a.seed());  // 64-bit seeds from random_device: a collision is not a realistic flake
}

// Pins the exact stream: mt19937_64 is specified by the standard and the [0,1) conversion is ours, so this must
// hold on every platform. If it changes, seeded outputs changed for users.
TEST(SamplerDeterminism, GoldenSequence) {
  std::vector<float> l(16);
  for (size_t i = 0; i < l.size(); ++i) l[i] = 0.25f * static_cast<float>(i % 7) - 0.1f * static_cast<float>(i);
  Sampler s(plain(2024));
  std::vector<Token> got;
  for (int i = 0; i < 24; ++i) got.push_back(s.sample(l));
  const std::vector<Token> expected{6, 11, 3, 4, 0, 2, 13, 6, 3, 6, 6, 6, 13, 9, 0, 2, 4, 13, 10, 5, 13, 5, 3, 12};
  EXPECT_EQ(got, expected);
}

// ---- non-finite logits ----

TEST(SamplerNonFinite, NaNAndNegInfAreNeverChosen) {
  const std::vector<float> l{kNaN, 0.0f, -kInf, 0.0f, kNaN, -kInf};
  Sampler s(plain(71));
  for (int i = 0; i < 500; ++i) {
    const Token t = s.sample(l);
    ASSERT_TRUE(t == 1 || t == 3) << t;
  }
  Sampler g(greedy());
  EXPECT_EQ(g.sample(std::vector<float>{kNaN, -1.0f, kNaN, 2.0f}), 3);
}

TEST(SamplerNonFinite, AllImpossibleReturnsLowestId) {
  const std::vector<float> neg_inf(10, -kInf);
  const std::vector<float> nan(10, kNaN);
  const std::vector<float> mix{kNaN, -kInf, kNaN};
  for (const SamplingParams& p : {plain(72), greedy(), mixed(72)}) {
    Sampler s(p);
    EXPECT_EQ(s.sample(neg_inf), 0);
    EXPECT_EQ(s.sample(nan), 0);
    EXPECT_EQ(s.sample(mix), 0);
  }
}

TEST(SamplerNonFinite, PositiveInfinityWins) {
  const std::vector<float> l{1.0f, kInf, 3.0f, kInf, kNaN};
  for (const SamplingParams& p : {plain(73), greedy(), mixed(73)}) {
    Sampler s(p);
    std::set<Token> seen;
    for (int i = 0; i < 200; ++i) seen.insert(s.sample(l));
    for (Token t : seen) EXPECT_TRUE(t == 1 || t == 3) << t;
  }
  Sampler g(greedy());
  EXPECT_EQ(g.sample(l), 1);
}

TEST(SamplerNonFinite, HugeLogitsAndTinyTemperature) {
  SamplingParams p = plain(74);
  p.temperature = 1e-30f;
  Sampler s(p);
  EXPECT_EQ(s.sample(std::vector<float>{-3e38f, 3e38f, 2.9e38f}), 1);
  Sampler t(plain(75));
  for (int i = 0; i < 100; ++i) EXPECT_EQ(t.sample(std::vector<float>{-3e38f, 3e38f, 2e38f}), 1);
}

// ---- large vocab ----

TEST(SamplerLargeVocab, DefaultsPickFromTopK) {
  std::mt19937_64 rng(81);
  const std::vector<float> l = random_logits(rng, 150000, 3.0f);
  std::vector<float> sorted = l;
  std::nth_element(sorted.begin(), sorted.begin() + 39, sorted.end(), std::greater<float>());
  const float kth = sorted[39];
  SamplingParams p;
  p.seed = 82;
  Sampler s(p);
  for (int i = 0; i < 50; ++i) ASSERT_GE(l[static_cast<size_t>(s.sample(l))], kth);
  // Every filter off still works over the whole vocab.
  Sampler all(plain(83));
  for (int i = 0; i < 20; ++i) {
    const Token t = all.sample(l);
    ASSERT_TRUE(t >= 0 && t < 150000);
  }
}

// ---- validate ----

void expect_error_naming(const SamplingParams& p, const std::string& field) {
  const Status st = validate(p);
  ASSERT_FALSE(st.ok()) << field;
  EXPECT_NE(st.error().message.find(field), std::string::npos) << st.error().message;
}

TEST(SamplerValidate, DefaultsAndEdgesAreValid) {
  EXPECT_TRUE(validate(SamplingParams{}).ok());
  SamplingParams p;
  p.temperature = -2.0f;
  p.top_k = -1;
  p.top_p = 1.0f;
  p.min_p = 0.0f;
  p.repeat_last_n = 0;
  p.presence_penalty = -1.5f;
  p.frequency_penalty = 2.0f;
  EXPECT_TRUE(validate(p).ok());
  p.min_p = 1.0f;
  p.repeat_penalty = 0.5f;
  EXPECT_TRUE(validate(p).ok());
}

TEST(SamplerValidate, ErrorsNameTheField) {
  const auto with = [](auto mutate) {
    SamplingParams p;
    mutate(p);
    return p;
  };
  expect_error_naming(with([](SamplingParams& p) { p.temperature = kNaN; }), "temperature");
  expect_error_naming(with([](SamplingParams& p) { p.temperature = kInf; }), "temperature");
  expect_error_naming(with([](SamplingParams& p) { p.top_p = 0.0f; }), "top_p");
  expect_error_naming(with([](SamplingParams& p) { p.top_p = 1.5f; }), "top_p");
  expect_error_naming(with([](SamplingParams& p) { p.top_p = kNaN; }), "top_p");
  expect_error_naming(with([](SamplingParams& p) { p.min_p = -0.1f; }), "min_p");
  expect_error_naming(with([](SamplingParams& p) { p.min_p = 1.01f; }), "min_p");
  expect_error_naming(with([](SamplingParams& p) { p.min_p = kNaN; }), "min_p");
  expect_error_naming(with([](SamplingParams& p) { p.repeat_penalty = 0.0f; }), "repeat_penalty");
  expect_error_naming(with([](SamplingParams& p) { p.repeat_penalty = -1.0f; }), "repeat_penalty");
  expect_error_naming(with([](SamplingParams& p) { p.repeat_penalty = kNaN; }), "repeat_penalty");
  expect_error_naming(with([](SamplingParams& p) { p.repeat_last_n = -1; }), "repeat_last_n");
  expect_error_naming(with([](SamplingParams& p) { p.presence_penalty = kNaN; }), "presence_penalty");
  expect_error_naming(with([](SamplingParams& p) { p.frequency_penalty = -kInf; }), "frequency_penalty");
}

}  // namespace
}  // namespace minerva
