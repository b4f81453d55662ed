#include "engine/scheduler.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

#include "engine/stop_strings.h"

namespace minerva {

namespace {
using Clock = std::chrono::steady_clock;
double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}
JobEvent cancelled_event() {
  JobEvent ev;
  ev.finish = FinishReason::Cancelled;
  return ev;
}

// log softmax(logits)[t] and the `top` most likely tokens, from the model's raw distribution.
TokenLogprob token_logprob(std::span<const float> logits, Token t, int32_t top) {
  float max_l = -INFINITY;
  for (float l : logits) max_l = std::max(max_l, l);
  double sum = 0.0;
  for (float l : logits) sum += std::exp(static_cast<double>(l - max_l));
  const auto log_z = static_cast<float>(static_cast<double>(max_l) + std::log(sum));
  TokenLogprob r;
  r.token = t;
  r.logprob = logits[static_cast<size_t>(t)] - log_z;
  const size_t k = std::min(static_cast<size_t>(std::max(top, 0)), logits.size());
  std::vector<Token> ids(logits.size());
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<Token>(i);
  std::partial_sort(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(k), ids.end(), [&](Token a, Token b) {
    const float la = logits[static_cast<size_t>(a)], lb = logits[static_cast<size_t>(b)];
    return la > lb || (la == lb && a < b);
  });
  for (size_t i = 0; i < k; ++i) r.top.emplace_back(ids[i], logits[static_cast<size_t>(ids[i])] - log_z);
  return r;
}

}  // namespace

// One sequence of the context and the request it is serving.
struct Scheduler::Slot {
  int32_t id = 0;
  std::shared_ptr<Job> job;   // null when free
  std::vector<Token> cached;  // tokens in this slot's KV cache, in order
  size_t n_prompt_done = 0;   // prompt tokens already in the cache
  Token pending = -1;         // sampled token to feed next step (-1: none)
  std::unique_ptr<Sampler> sampler;
  std::unique_ptr<StreamingDetokenizer> detok;
  std::unique_ptr<StopStringFilter> stops;
  std::vector<float> biased;                  // logits + logit_bias and the grammar mask, when the request has them
  std::unique_ptr<grammar::Matcher> matcher;  // when the request has a grammar
  std::unique_ptr<grammar::TokenMasker> masker;
  GenerationUsage usage;
  Clock::time_point queued_at, started_at, prompt_done_at;
};

Scheduler::Scheduler(LoadedModel model, SchedulerOptions opts)
    : model_(std::move(model)),
      opts_(opts),
      pool_(opts.threads),
      ctx_(model_.model, opts.n_ctx, pool_, std::max<int32_t>(1, opts.n_slots), opts.kv_type) {
  for (int32_t i = 0; i < ctx_.n_seq(); ++i) {
    slots_.push_back(std::make_unique<Slot>());
    slots_.back()->id = i;
  }
  thread_ = std::thread([this] { loop(); });
}

Scheduler::~Scheduler() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

std::shared_ptr<Job> Scheduler::submit(GenerationRequest req, SubmitError* err) {
  auto fail = [&](Error e, bool full) -> std::shared_ptr<Job> {
    if (err != nullptr) *err = {std::move(e), full};
    return nullptr;
  };
  if (req.prompt.empty()) return fail(make_error("the prompt is empty"), false);
  const auto n = static_cast<int64_t>(req.prompt.size());
  if (n >= opts_.n_ctx) {
    return fail(make_error("the prompt has " + std::to_string(n) + " tokens but the context size is " +
                           std::to_string(opts_.n_ctx) + " (it must leave room for at least one generated token)"),
                false);
  }
  for (Token t : req.prompt) {
    if (t < 0 || t >= ctx_.n_vocab()) {
      return fail(make_error("token id " + std::to_string(t) + " is out of range (vocabulary has " +
                             std::to_string(ctx_.n_vocab()) + " tokens)"),
                  false);
    }
  }
  if (Status s = validate(req.sampling); !s) return fail(s.error(), false);
  auto job = std::make_shared<Job>(std::move(req));
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (queue_.size() >= opts_.max_queue) {
      return fail(make_error("the server is busy: " + std::to_string(queue_.size()) + " requests are waiting"), true);
    }
    queue_.push_back(job);
  }
  cv_.notify_all();
  return job;
}

SchedulerStats Scheduler::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return {ctx_.n_seq(), busy_, queue_.size(), generated_total_.load(), prompt_total_.load()};
}

void Scheduler::loop() {
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stop_ || !queue_.empty() || busy_ > 0; });
      if (stop_) break;
    }
    admit_waiting();
    step();
  }
  for (auto& slot : slots_) {
    if (slot->job) finish(*slot, FinishReason::Cancelled);
  }
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& job : queue_) job->push(cancelled_event());
  queue_.clear();
}

void Scheduler::admit_waiting() {
  for (auto& slot : slots_) {
    if (slot->job) continue;
    std::shared_ptr<Job> job;
    {
      std::lock_guard<std::mutex> lock(mu_);
      // Skip requests cancelled while they waited.
      while (!queue_.empty() && queue_.front()->cancelled()) {
        queue_.front()->push(cancelled_event());
        queue_.pop_front();
      }
      if (queue_.empty()) return;
      // Prefer the free slot whose cache shares the longest prefix with the next request.
      job = queue_.front();
      queue_.pop_front();
      ++busy_;
    }
    Slot* best = slot.get();
    size_t best_len = 0;
    for (auto& s : slots_) {
      if (s->job) continue;
      const auto& p = job->request().prompt;
      size_t len = 0;
      while (len < s->cached.size() && len < p.size() && s->cached[len] == p[len]) ++len;
      if (len > best_len) {
        best = s.get();
        best_len = len;
      }
    }
    start(*best, std::move(job));
  }
}

void Scheduler::start(Slot& slot, std::shared_ptr<Job> job) {
  const GenerationRequest& req = job->request();
  // Reuse the cached prefix; the last prompt token is always evaluated again for its logits.
  size_t keep = 0;
  while (keep < slot.cached.size() && keep + 1 < req.prompt.size() && slot.cached[keep] == req.prompt[keep]) ++keep;
  ctx_.truncate(static_cast<int64_t>(keep), slot.id);
  slot.cached.resize(keep);
  slot.n_prompt_done = keep;
  slot.pending = -1;
  slot.sampler = std::make_unique<Sampler>(req.sampling);
  for (Token t : req.prompt) slot.sampler->accept(t);
  slot.detok = std::make_unique<StreamingDetokenizer>(*model_.tokenizer, false, /*continues_text=*/true);
  slot.stops = std::make_unique<StopStringFilter>(req.stop);
  slot.masker.reset();
  slot.matcher.reset();
  if (req.grammar) {
    slot.matcher = std::make_unique<grammar::Matcher>(req.grammar);
    slot.masker = std::make_unique<grammar::TokenMasker>(token_trie(), *slot.matcher);
  }
  slot.usage = {};
  slot.usage.prompt_tokens = static_cast<int64_t>(req.prompt.size());
  slot.usage.cached_tokens = static_cast<int64_t>(keep);
  slot.started_at = Clock::now();
  slot.job = std::move(job);
}

bool Scheduler::step() {
  std::vector<BatchEntry> batch;
  std::vector<Slot*> row_owner;  // slot of each logits row
  int64_t budget = opts_.max_batch;
  // Decode tokens first: generating slots must never wait behind a long prefill.
  for (auto& s : slots_) {
    if (!s->job) continue;
    if (s->job->cancelled()) {
      finish(*s, FinishReason::Cancelled);
      continue;
    }
    if (s->pending >= 0 && budget > 0) {
      batch.push_back({s->pending, s->id, static_cast<int64_t>(s->cached.size()), true});
      s->cached.push_back(s->pending);
      s->pending = -1;
      row_owner.push_back(s.get());
      --budget;
    }
  }
  for (auto& s : slots_) {
    if (!s->job || budget <= 0) continue;
    const auto& prompt = s->job->request().prompt;
    if (s->n_prompt_done >= prompt.size()) continue;
    const size_t take = std::min<size_t>(prompt.size() - s->n_prompt_done, static_cast<size_t>(budget));
    for (size_t i = 0; i < take; ++i) {
      const size_t idx = s->n_prompt_done + i;
      const bool last = idx + 1 == prompt.size();
      batch.push_back({prompt[idx], s->id, static_cast<int64_t>(s->cached.size()), last});
      s->cached.push_back(prompt[idx]);
      if (last) row_owner.push_back(s.get());
    }
    s->n_prompt_done += take;
    prompt_total_.fetch_add(static_cast<int64_t>(take), std::memory_order_relaxed);
    budget -= static_cast<int64_t>(take);
  }
  if (batch.empty()) return false;

  if (Status st = ctx_.decode(batch); !st) {
    // Cannot happen for validated requests; fail every slot in the batch rather than loop.
    for (auto& s : slots_) {
      if (s->job) finish(*s, FinishReason::Error, st.error().message);
    }
    return true;
  }
  for (size_t row = 0; row < row_owner.size(); ++row) {
    Slot& s = *row_owner[row];
    if (s.usage.completion_tokens == 0 && s.n_prompt_done == s.job->request().prompt.size()) {
      s.prompt_done_at = Clock::now();
      s.usage.prompt_ms = ms_between(s.started_at, s.prompt_done_at);
    }
    sample_and_emit(s, ctx_.logits(static_cast<int64_t>(row)));
  }
  return true;
}

void Scheduler::sample_and_emit(Slot& s, std::span<const float> logits) {
  const GenerationRequest& req = s.job->request();
  if (!req.logit_bias.empty()) {
    s.biased.assign(logits.begin(), logits.end());
    for (auto [tok, bias] : req.logit_bias) {
      if (tok >= 0 && static_cast<size_t>(tok) < s.biased.size()) s.biased[static_cast<size_t>(tok)] += bias;
    }
    logits = s.biased;
  }
  if (req.ignore_eos) {
    if (logits.data() != s.biased.data()) s.biased.assign(logits.begin(), logits.end());
    const Vocab& vocab = model_.tokenizer->vocab();
    for (size_t i = 0; i < s.biased.size(); ++i) {
      if (vocab.is_eog(static_cast<Token>(i))) s.biased[i] = -std::numeric_limits<float>::infinity();
    }
    logits = s.biased;
  }
  if (s.matcher && !apply_grammar(s, logits)) return;
  const Token t = s.sampler->sample(logits);
  s.sampler->accept(t);
  if (model_.tokenizer->vocab().is_eog(t)) {
    finish(s, FinishReason::Stop);
    return;
  }
  // The mask allowed t, so its bytes advance the matcher. Once nothing can follow, stop here
  // instead of spending a forward pass on the end-of-generation token.
  const bool grammar_done = s.matcher && s.matcher->accept(model_.tokenizer->token_to_piece(t)) &&
                            !s.matcher->can_continue(s.matcher->state());
  ++s.usage.completion_tokens;
  generated_total_.fetch_add(1, std::memory_order_relaxed);
  s.job->set_generated(s.usage.completion_tokens);
  JobEvent ev;
  if (req.logprobs >= 0) ev.logprobs.push_back(token_logprob(logits, t, req.logprobs));
  ev.text = s.stops->push(s.detok->push(t));
  const bool stopped = s.stops->stopped();
  if (!ev.text.empty() || !ev.logprobs.empty()) s.job->push(std::move(ev));
  if (stopped || grammar_done) {
    finish(s, FinishReason::Stop);
    return;
  }
  const bool at_limit = req.max_tokens >= 0 && s.usage.completion_tokens >= req.max_tokens;
  const bool ctx_full = static_cast<int64_t>(s.cached.size()) + 1 >= opts_.n_ctx;  // prompt + output fill the slot
  if (at_limit || ctx_full) {
    finish(s, FinishReason::Length);
    return;
  }
  s.pending = t;
}

const grammar::TokenTrie& Scheduler::token_trie() {
  if (!trie_) {
    const Tokenizer& tok = *model_.tokenizer;
    std::vector<std::string> pieces(static_cast<size_t>(ctx_.n_vocab()));
    for (size_t i = 0; i < pieces.size(); ++i) {
      const auto t = static_cast<Token>(i);
      // End-of-generation tokens are allowed separately, only where the output is complete.
      if (!tok.vocab().is_eog(t)) pieces[i] = tok.token_to_piece(t);
    }
    trie_ = std::make_unique<grammar::TokenTrie>(pieces);
  }
  return *trie_;
}

bool Scheduler::apply_grammar(Slot& s, std::span<const float>& logits) {
  const auto t0 = Clock::now();
  const grammar::StateId state = s.matcher->state();
  const grammar::TokenMask& mask = s.masker->mask(state);
  const bool can_end = s.matcher->accepting(state);
  const Vocab& vocab = model_.tokenizer->vocab();
  if (s.biased.data() != logits.data()) s.biased.assign(logits.begin(), logits.end());
  constexpr float kNegInf = -std::numeric_limits<float>::infinity();
  bool any = false;
  for (size_t w = 0; w < mask.size(); ++w) {
    const uint64_t bits = mask[w];
    if (bits == ~uint64_t{0}) {
      any = true;
      continue;
    }
    any = any || bits != 0;
    const size_t end = std::min(s.biased.size(), (w + 1) * 64);
    for (size_t i = w * 64; i < end; ++i) {
      if (((bits >> (i & 63)) & 1) == 0 && !(can_end && vocab.is_eog(static_cast<Token>(i)))) s.biased[i] = kNegInf;
    }
  }
  bool eog = false;
  if (can_end) {
    for (Token t : {vocab.eos(), vocab.eot()}) eog = eog || (t >= 0 && static_cast<size_t>(t) < s.biased.size());
  }
  s.usage.grammar_ms += ms_between(t0, Clock::now());
  if (!any && !eog) {
    // Complete (with no end token to sample), or stuck: the vocabulary cannot spell any allowed continuation.
    if (can_end) {
      finish(s, FinishReason::Stop);
    } else {
      finish(s, FinishReason::Error,
             s.matcher->overflowed() ? "grammar: too ambiguous to follow (a step needed too many parse stacks)"
                                     : "grammar: no token of the vocabulary can continue the output");
    }
    return false;
  }
  logits = s.biased;
  return true;
}

void Scheduler::finish(Slot& s, FinishReason reason, const std::string& error) {
  if (reason != FinishReason::Cancelled && reason != FinishReason::Error) {
    std::string rest = s.stops->stopped() ? std::string() : s.stops->push(s.detok->finish());
    if (!s.stops->stopped()) rest += s.stops->flush();
    if (!rest.empty()) {
      JobEvent ev;
      ev.text = std::move(rest);
      s.job->push(std::move(ev));
    }
  }
  const auto now = Clock::now();
  if (s.usage.completion_tokens > 0 || s.n_prompt_done == s.job->request().prompt.size()) {
    s.usage.generation_ms = s.prompt_done_at.time_since_epoch().count() != 0 ? ms_between(s.prompt_done_at, now) : 0.0;
  }
  JobEvent last;
  last.finish = reason;
  last.error = error;
  last.usage = s.usage;
  s.job->push(std::move(last));
  // A pending (sampled, not yet evaluated) token is not in the cache; `cached` stays exact.
  s.pending = -1;
  if (reason == FinishReason::Cancelled || reason == FinishReason::Error) {
    // The cache may hold a partial prompt: keep only what was fully evaluated.
    s.cached.resize(static_cast<size_t>(ctx_.n_past(s.id)));
  }
  s.job.reset();
  s.prompt_done_at = {};
  std::lock_guard<std::mutex> lock(mu_);
  --busy_;
}

}  // namespace minerva
