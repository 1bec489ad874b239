#include "agents/gateway/rate_limiter.h"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

namespace kaizen::gateway {

RateLimiter::RateLimiter(double per_second, double burst, std::size_t max_clients)
    : per_second_(std::isfinite(per_second) && per_second > 0 ? per_second : 0),
      burst_(std::isfinite(burst) && burst >= 1 ? burst : 1),
      max_clients_(std::max<std::size_t>(max_clients, 1)) {}

std::size_t RateLimiter::clients() const {
  std::lock_guard<std::mutex> lock(mu_);
  return buckets_.size();
}

double RateLimiter::FullAtMs(const Bucket& b) const {
  return static_cast<double>(b.last_ms) + (burst_ - b.tokens) * 1000.0 / per_second_;
}

std::optional<double> RateLimiter::Take(const std::string& client, int64_t now_ms) {
  if (unlimited()) return std::nullopt;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = buckets_.find(client);
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_clients_) Evict(now_ms);
    it = buckets_.emplace(client, Bucket{burst_, now_ms}).first;
  }
  Bucket& b = it->second;
  if (now_ms > b.last_ms) {
    b.tokens = std::min(burst_, b.tokens + static_cast<double>(now_ms - b.last_ms) * per_second_ / 1000.0);
    b.last_ms = now_ms;
  }
  if (b.tokens >= 1) {
    b.tokens -= 1;
    return std::nullopt;
  }
  return (1 - b.tokens) / per_second_;
}

void RateLimiter::Evict(int64_t now_ms) {
  const double now = static_cast<double>(now_ms);
  // Drop every bucket that is full by now, and note the others by when they will be.
  std::vector<std::pair<double, std::unordered_map<std::string, Bucket>::iterator>> filling;
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    const double full_at = FullAtMs(it->second);
    if (full_at <= now) {
      it = buckets_.erase(it);
    } else {
      filling.emplace_back(full_at, it);
      ++it;
    }
  }
  // Free at least a tenth (and at least one), so the next sweep is that many new clients away.
  const std::size_t room = std::max<std::size_t>(max_clients_ / 10, 1);
  const std::size_t free_now = max_clients_ - std::min(max_clients_, buckets_.size());
  if (free_now >= room) return;
  const std::size_t drop = std::min(room - free_now, filling.size());
  std::nth_element(filling.begin(), filling.begin() + static_cast<std::ptrdiff_t>(drop), filling.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (std::size_t i = 0; i < drop; ++i) buckets_.erase(filling[i].second);
}

}  // namespace kaizen::gateway
