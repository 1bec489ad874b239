// RestartTracker: restart policy, exponential backoff and the give-up window.
#include <algorithm>

#include "runtime/supervisor/supervisor.h"

namespace kaizen::supervisor {

RestartTracker::RestartTracker(const config::RestartSpec& spec) : spec_(spec) {}

int64_t RestartTracker::OnExit(int64_t now_ms, bool failed) {
  give_up_reason_.clear();
  if (spec_.policy == config::RestartPolicy::kNever) {
    give_up_reason_ = "restart policy is never";
    return -1;
  }
  if (spec_.policy == config::RestartPolicy::kOnFailure && !failed) {
    give_up_reason_ = "exited cleanly and restart policy is on-failure";
    return -1;
  }
  // Only exits within the last window count: a calm window resets both the
  // backoff and the give-up count.
  const int64_t window_ms = spec_.window_s * 1000;
  std::erase_if(recent_, [&](int64_t t) { return now_ms - t >= window_ms; });
  recent_.push_back(now_ms);
  const int k = static_cast<int>(recent_.size());
  if (k > spec_.max_restarts) {
    give_up_reason_ = "restarted " + std::to_string(k - 1) + " times within " + std::to_string(spec_.window_s) +
                      " s; giving up";
    return -1;
  }
  // backoff_initial_ms * 2^(k-1), capped; doubling stops at the cap, so no overflow.
  const int64_t cap = std::max<int64_t>(0, spec_.backoff_max_ms);
  int64_t delay = std::max<int64_t>(0, spec_.backoff_initial_ms);
  for (int i = 1; i < k && delay < cap; ++i) delay = delay > cap / 2 ? cap : delay * 2;
  ++restarts_;
  return std::min(delay, cap);
}

}  // namespace kaizen::supervisor
