#include "server/metrics.h"

#include <cstdio>

namespace minerva {

void Histogram::observe(double seconds) {
  for (size_t i = 0; i < kBounds.size(); ++i) {
    if (seconds <= kBounds[i]) ++buckets[i];
  }
  ++count;
  sum += seconds;
}

void Metrics::on_request(int status) {
  std::lock_guard<std::mutex> lock(mu_);
  ++requests_;
  if (status >= 400) ++requests_failed_;
}

void Metrics::on_generation(const GenerationUsage& usage, double ttft_seconds, double total_seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  generated_tokens_ += static_cast<uint64_t>(usage.completion_tokens);
  generation_seconds_ += usage.generation_ms / 1000.0;
  if (ttft_seconds >= 0) ttft_.observe(ttft_seconds);
  latency_.observe(total_seconds);
}

namespace {
void append(std::string& out, const char* fmt, auto... args) {
  char buf[256];
  std::snprintf(buf, sizeof buf, fmt, args...);
  out += buf;
}

void append_histogram(std::string& out, const char* name, const char* help, const Histogram& h) {
  append(out, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
  for (size_t i = 0; i < Histogram::kBounds.size(); ++i) {
    append(out, "%s_bucket{le=\"%g\"} %llu\n", name, Histogram::kBounds[i],
           static_cast<unsigned long long>(h.buckets[i]));
  }
  append(out, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.6f\n%s_count %llu\n", name,
         static_cast<unsigned long long>(h.count), name, h.sum, name, static_cast<unsigned long long>(h.count));
}
}  // namespace

std::string Metrics::render(const SchedulerStats& sched) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  append(out, "# HELP minerva_requests_total HTTP requests served.\n# TYPE minerva_requests_total counter\n");
  append(out, "minerva_requests_total %llu\n", static_cast<unsigned long long>(requests_));
  append(out, "# HELP minerva_requests_failed_total Requests answered with status >= 400.\n");
  append(out, "# TYPE minerva_requests_failed_total counter\nminerva_requests_failed_total %llu\n",
         static_cast<unsigned long long>(requests_failed_));
  append(out, "# HELP minerva_prompt_tokens_total Prompt tokens evaluated (cached prefixes excluded).\n");
  append(out, "# TYPE minerva_prompt_tokens_total counter\nminerva_prompt_tokens_total %lld\n",
         static_cast<long long>(sched.prompt_total));
  append(out, "# HELP minerva_generated_tokens_total Tokens generated, cancelled requests included.\n");
  append(out, "# TYPE minerva_generated_tokens_total counter\nminerva_generated_tokens_total %lld\n",
         static_cast<long long>(sched.generated_total));
  append(out, "# HELP minerva_generation_tokens_per_second Generated tokens per second of generation time.\n");
  append(out, "# TYPE minerva_generation_tokens_per_second gauge\nminerva_generation_tokens_per_second %.3f\n",
         generation_seconds_ > 0 ? static_cast<double>(generated_tokens_) / generation_seconds_ : 0.0);
  append_histogram(out, "minerva_time_to_first_token_seconds", "Time from request to first generated token.", ttft_);
  append_histogram(out, "minerva_request_duration_seconds", "Time from request to last token.", latency_);
  append(out, "# HELP minerva_slots_busy Slots generating.\n# TYPE minerva_slots_busy gauge\nminerva_slots_busy %d\n",
         sched.busy_slots);
  append(out, "# HELP minerva_slots_total Slots.\n# TYPE minerva_slots_total gauge\nminerva_slots_total %d\n",
         sched.slots);
  append(out, "# HELP minerva_queue_depth Requests waiting for a slot.\n");
  append(out, "# TYPE minerva_queue_depth gauge\nminerva_queue_depth %zu\n", sched.queued);
  return out;
}

}  // namespace minerva
