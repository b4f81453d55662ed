#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <string>

#include "engine/scheduler.h"

namespace minerva {

// A Prometheus histogram with fixed bucket bounds (seconds).
struct Histogram {
  static constexpr std::array<double, 12> kBounds = {0.005, 0.01, 0.025, 0.05, 0.1,  0.25,
                                                     0.5,   1.0,  2.5,   5.0,  10.0, 30.0};
  std::array<uint64_t, kBounds.size()> buckets{};
  uint64_t count = 0;
  double sum = 0.0;

  void observe(double seconds);
};

// Server-wide counters, exported on GET /metrics. Thread-safe.
class Metrics {
 public:
  void on_request(int status);
  void on_generation(const GenerationUsage& usage, double ttft_seconds, double total_seconds);
  // Prometheus text exposition format.
  std::string render(const SchedulerStats& sched) const;

 private:
  mutable std::mutex mu_;
  uint64_t requests_ = 0;
  uint64_t requests_failed_ = 0;
  uint64_t generated_tokens_ = 0;
  double generation_seconds_ = 0.0;
  Histogram ttft_;
  Histogram latency_;
};

}  // namespace minerva
