#include "agents/models/llm/request_limits.h"

#include <algorithm>
#include <thread>

namespace kaizen::models::llm {

RequestLimits::RequestLimits(int max_in_flight, double per_second)
    : max_in_flight_(std::max(1, max_in_flight)),
      per_second_(std::max(0.0, per_second)),
      tokens_(std::max(1.0, per_second)),
      refilled_(std::chrono::steady_clock::now()) {}

void RequestLimits::TakeToken() {
  if (per_second_ <= 0) return;
  const double capacity = std::max(1.0, per_second_);
  for (;;) {
    std::chrono::duration<double> wait{0};
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto now = std::chrono::steady_clock::now();
      tokens_ = std::min(capacity, tokens_ + std::chrono::duration<double>(now - refilled_).count() * per_second_);
      refilled_ = now;
      if (tokens_ >= 1.0) {
        tokens_ -= 1.0;
        return;
      }
      wait = std::chrono::duration<double>((1.0 - tokens_) / per_second_);
    }
    std::this_thread::sleep_for(wait);
  }
}

RequestLimits::Slot RequestLimits::Acquire() {
  TakeToken();
  std::unique_lock<std::mutex> lock(mu_);
  freed_.wait(lock, [&] { return in_flight_ < max_in_flight_; });
  ++in_flight_;
  return Slot(this);
}

void RequestLimits::Release() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    --in_flight_;
  }
  freed_.notify_one();
}

int RequestLimits::in_flight() const {
  std::lock_guard<std::mutex> lock(mu_);
  return in_flight_;
}

}  // namespace kaizen::models::llm
