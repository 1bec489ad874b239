// FloodGuard: a token bucket per peer. A peer that sends faster than its
// rate (after a burst) has its messages dropped and counted, so one noisy or
// hostile peer cannot starve the others of the runtime's single loop.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

namespace kaizen::core {

class FloodGuard {
 public:
  // rate_per_s <= 0 turns the guard off.
  FloodGuard(double rate_per_s, double burst) : rate_(rate_per_s), burst_(burst) {}

  // Whether a message from `peer` may be handled now; false means drop it.
  bool Admit(const std::string& peer, int64_t now_ms);

  uint64_t limited() const { return limited_; }
  // True for the first refusal of a flood and then every 10,000th (for logs).
  bool ShouldLog() const { return limited_ == 1 || limited_ % 10000 == 0; }

 private:
  struct Bucket {
    double tokens = 0;
    int64_t last_ms = 0;
  };
  double rate_, burst_;
  std::unordered_map<std::string, Bucket> buckets_;
  uint64_t limited_ = 0;
  int64_t last_prune_ms_ = 0;
};

}  // namespace kaizen::core
