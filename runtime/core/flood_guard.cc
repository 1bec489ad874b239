#include "runtime/core/flood_guard.h"

#include <algorithm>
#include <iterator>

namespace kaizen::core {

bool FloodGuard::Admit(const std::string& peer, int64_t now_ms) {
  if (rate_ <= 0) return true;
  // Forget peers idle long enough to have refilled: identities are cheap to make.
  if (now_ms - last_prune_ms_ > 60000) {
    last_prune_ms_ = now_ms;
    const int64_t full_ms = static_cast<int64_t>(burst_ / rate_ * 1000) + 1;
    for (auto it = buckets_.begin(); it != buckets_.end();) {
      it = now_ms - it->second.last_ms > full_ms ? buckets_.erase(it) : std::next(it);
    }
  }
  auto [it, fresh] = buckets_.try_emplace(peer);
  Bucket& b = it->second;
  if (fresh) {
    b.tokens = burst_;
  } else {
    b.tokens = std::min(burst_, b.tokens + static_cast<double>(now_ms - b.last_ms) * rate_ / 1000.0);
  }
  b.last_ms = now_ms;
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return true;
  }
  ++limited_;
  return false;
}

}  // namespace kaizen::core
