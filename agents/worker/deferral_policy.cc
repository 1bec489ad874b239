#include "agents/worker/deferral_policy.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace kaizen::agents {

DeferralPolicy::DeferralPolicy(DeferralOptions options, int64_t now_ms) : options_(options), refilled_ms_(now_ms) {
  options_.max_share = std::clamp(options_.max_share, 0.0, 1.0);
  options_.max_cost_per_hour = std::max(0.0, options_.max_cost_per_hour);
  options_.window = std::max(1, options_.window);
  options_.cost_per_call = std::max(0.0, options_.cost_per_call);
  tokens_ = Capacity();
}

double DeferralPolicy::expected_cost() const {
  return settled_ > 0 ? spend_ / static_cast<double>(settled_) : options_.cost_per_call;
}

double DeferralPolicy::Capacity() const { return std::max(options_.max_cost_per_hour / 60.0, expected_cost()); }

void DeferralPolicy::Refill(int64_t now_ms) {
  if (now_ms > refilled_ms_) {
    tokens_ += options_.max_cost_per_hour * static_cast<double>(now_ms - refilled_ms_) / 3600000.0;
    refilled_ms_ = now_ms;
  }
  tokens_ = std::min(tokens_, Capacity());
}

double DeferralPolicy::window_share() const {
  return recent_.empty() ? 0.0 : static_cast<double>(window_calls_) / static_cast<double>(recent_.size());
}

std::optional<double> DeferralPolicy::Decide(double confidence, bool can_call, int64_t now_ms) {
  if (!std::isfinite(confidence)) confidence = 0;  // no confidence: the least confident answer
  ++seen_;
  recent_.emplace_back(confidence, false);
  sorted_.insert(std::upper_bound(sorted_.begin(), sorted_.end(), confidence), confidence);
  if (static_cast<int64_t>(recent_.size()) > options_.window) {
    const auto [old, was_deferred] = recent_.front();
    recent_.pop_front();
    sorted_.erase(std::lower_bound(sorted_.begin(), sorted_.end(), old));
    if (was_deferred) --window_calls_;
  }
  // The max_share-quantile: below it lie at most max_share of the window.
  const auto n = static_cast<int64_t>(sorted_.size());
  const auto k = static_cast<int64_t>(std::floor(options_.max_share * static_cast<double>(n) + 1e-9));
  threshold_ = k >= n ? 1.0 + 1e-9 + sorted_.back() : sorted_[static_cast<std::size_t>(k)];
  Refill(now_ms);

  if (!can_call || n < std::min<int64_t>(options_.window, kWarmup)) return std::nullopt;
  if (!(confidence < threshold_)) return std::nullopt;
  if (static_cast<double>(window_calls_ + 1) > options_.max_share * static_cast<double>(n) + 1e-9) return std::nullopt;
  const double charge = expected_cost();
  if (options_.max_cost_per_hour > 0) {
    if (tokens_ + 1e-12 < charge) return std::nullopt;
    tokens_ -= charge;
  }
  recent_.back().second = true;
  ++window_calls_;
  ++calls_;
  return charge;
}

void DeferralPolicy::Settle(double charged, double cost, bool served) {
  cost = std::isfinite(cost) ? std::max(0.0, cost) : 0.0;
  if (served) {
    ++deferred_;
  } else {
    ++failed_;
  }
  ++settled_;
  spend_ += cost;
  // The bucket was charged the expected cost; it pays the real one.
  if (options_.max_cost_per_hour > 0) tokens_ -= cost - charged;
}

std::string DeferralPolicy::Describe() const {
  const double money = spend_;
  std::string out = fmt::format("deferred {} ({:.1f}%, threshold {:.2f}, ${})", deferred_, 100.0 * share(),
                                std::clamp(threshold_, 0.0, 1.0),
                                money >= 0.1 ? fmt::format("{:.2f}", money) : fmt::format("{:.4f}", money));
  if (failed_ > 0) out += fmt::format(", {} fell back to the worker", failed_);
  return out;
}

}  // namespace kaizen::agents
