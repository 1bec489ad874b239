#include "runtime/router/traffic_policy.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace kaizen::router {

void TrafficPolicy::SetSingle(const std::string& instance) {
  split_ = false;
  primary_ = instance;
  candidate_.clear();
  weight_ = 0;
}

void TrafficPolicy::SetSplit(const std::string& incumbent, const std::string& candidate, double candidate_weight) {
  split_ = true;
  primary_ = incumbent;
  candidate_ = candidate;
  weight_ = std::clamp(candidate_weight, 0.0, 1.0);
}

uint32_t TrafficPolicy::Bucket(std::string_view routing_key) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : routing_key) {
    h ^= c;
    h *= 1099511628211ull;
  }
  // Fold the high bits in: FNV's low bits are weak for short keys.
  h ^= h >> 29;
  return static_cast<uint32_t>(h % 10000);
}

std::string TrafficPolicy::Pick(std::string_view routing_key,
                                const std::function<bool(const std::string&)>& can_serve) const {
  std::string first = primary_, second;
  if (split_) {
    bool to_candidate = Bucket(routing_key) < static_cast<uint32_t>(std::lround(weight_ * 10000));
    first = to_candidate ? candidate_ : primary_;
    second = to_candidate ? primary_ : candidate_;
  }
  if (!first.empty() && can_serve(first)) return first;
  if (!second.empty() && can_serve(second)) return second;
  return "";
}

std::string TrafficPolicy::Describe() const {
  if (!split_) return primary_.empty() ? "none" : "all -> " + primary_;
  char buf[256];
  std::snprintf(buf, sizeof buf, "%s %.0f%% / %s %.0f%%", primary_.c_str(), (1 - weight_) * 100, candidate_.c_str(),
                weight_ * 100);
  return buf;
}

}  // namespace kaizen::router
