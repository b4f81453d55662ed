#include "engine/job.h"

namespace minerva {

std::optional<JobEvent> Job::next(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  if (!cv_.wait_for(lock, timeout, [&] { return !events_.empty(); })) return std::nullopt;
  JobEvent ev = std::move(events_.front());
  events_.pop_front();
  return ev;
}

void Job::push(JobEvent ev) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    events_.push_back(std::move(ev));
  }
  cv_.notify_one();
}

}  // namespace minerva
