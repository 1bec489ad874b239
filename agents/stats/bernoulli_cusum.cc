#include "agents/stats/bernoulli_cusum.h"

#include <algorithm>
#include <cmath>

namespace kaizen::stats {

BernoulliCusum::BernoulliCusum(const Options& options) : options_(options) {
  double rate = std::clamp(options_.false_alarm_rate, 1e-300, 0.5);
  h_ = std::log(1.0 / rate);
  options_.warmup = std::max<int64_t>(options_.warmup, 0);
  options_.min_shift = std::max(options_.min_shift, 1e-4);
  if (options_.warmup == 0) SetBaseline(options_.baseline_floor);
}

void BernoulliCusum::SetBaseline(double p0) {
  // p1 must stay above p0 and below 1 for both increments to be finite.
  p0_ = std::clamp(p0, std::max(options_.baseline_floor, 1e-6), 0.98);
  p1_ = std::min(p0_ + options_.min_shift, 0.99);
  down_inc_ = std::log(p1_ / p0_);
  up_inc_ = std::log((1 - p1_) / (1 - p0_));
  warmed_up_ = true;
  s_ = 0;
}

bool BernoulliCusum::Observe(bool down) {
  ++observations_;
  if (!warmed_up_) {
    warmup_downs_ += down ? 1 : 0;
    if (observations_ >= options_.warmup) {
      SetBaseline(static_cast<double>(warmup_downs_) / static_cast<double>(observations_));
    }
    return false;
  }
  s_ = std::max(0.0, s_ + (down ? down_inc_ : up_inc_));
  return s_ >= h_;
}

void BernoulliCusum::Reset() {
  warmed_up_ = false;
  warmup_downs_ = 0;
  observations_ = 0;
  p0_ = p1_ = up_inc_ = down_inc_ = 0;
  s_ = 0;
  if (options_.warmup == 0) SetBaseline(options_.baseline_floor);
}

}  // namespace kaizen::stats
