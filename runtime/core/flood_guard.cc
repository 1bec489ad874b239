#include "runtime/core/flood_guard.h"

#include <algorithm>
#include <iterator>

namespace kaizen::core {

bool FloodGuard::Take(Bucket& b, bool fresh, int64_t now_ms) const {
  if (fresh) {
    b.tokens = burst_;
  } else {
    b.tokens = std::min(burst_, b.tokens + static_cast<double>(now_ms - b.last_ms) * rate_ / 1000.0);
  }
  b.last_ms = now_ms;
  if (b.tokens < 1.0) return false;
  b.tokens -= 1.0;
  return true;
}

bool FloodGuard::Admit(const std::string& peer, int64_t now_ms, bool known) {
  if (rate_ <= 0) return true;
  if (!known) {
    const bool fresh = !unknown_started_;
    unknown_started_ = true;
    if (Take(unknown_, fresh, now_ms)) return true;
    ++limited_;
    ++limited_unknown_;
    return false;
  }
  // Forget peers idle long enough to have refilled.
  if (now_ms - last_prune_ms_ > 60000) {
    last_prune_ms_ = now_ms;
    const int64_t full_ms = static_cast<int64_t>(burst_ / rate_ * 1000) + 1;
    for (auto it = buckets_.begin(); it != buckets_.end();) {
      it = now_ms - it->second.last_ms > full_ms ? buckets_.erase(it) : std::next(it);
    }
  }
  auto [it, fresh] = buckets_.try_emplace(peer);
  if (Take(it->second, fresh, now_ms)) return true;
  ++limited_;
  return false;
}

}  // namespace kaizen::core
