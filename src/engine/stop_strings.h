#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace minerva {

// Streams text through a set of stop strings: what it releases never contains a stop string
// or the beginning of one that later text could complete. Not thread-safe.
class StopStringFilter {
 public:
  explicit StopStringFilter(std::vector<std::string> stops);

  // Adds text; returns what is now safe to emit. After a stop string is found, stopped() is
  // true and the returned text ends right before it.
  std::string push(std::string_view text);
  // Everything still held (no stop string can complete any more).
  std::string flush();
  bool stopped() const { return stopped_; }

 private:
  std::vector<std::string> stops_;
  std::string held_;
  bool stopped_ = false;
};

}  // namespace minerva
