#include "agents/stats/bernoulli_cusum.h"

#include <algorithm>
#include <cmath>

namespace kaizen::stats {

BernoulliCusum::BernoulliCusum(const Options& options) : options_(options) {
  options_.false_alarm_rate = std::clamp(options_.false_alarm_rate, 1e-12, 0.5);
  options_.warmup = std::max<int64_t>(options_.warmup, 0);
  options_.min_shift = std::max(options_.min_shift, 1e-4);
  if (options_.warmup == 0) SetBaseline(options_.baseline_floor);
}

void BernoulliCusum::SetBaseline(double p0) {
  // p1 must stay above p0 and below 1 for both increments to be finite.
  p0_ = std::clamp(p0, std::max(options_.baseline_floor, 1e-6), 0.98);
  p1_ = std::min(p0_ + options_.min_shift, 0.99);
  cal_ = CalibrateBernoulliCusum(p0_, p1_, options_.false_alarm_rate);
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
  s_ = std::max<int64_t>(0, s_ + (down ? cal_.down_step : -cal_.up_step));
  return s_ >= cal_.threshold;
}

void BernoulliCusum::Reset() {
  warmed_up_ = false;
  warmup_downs_ = 0;
  observations_ = 0;
  p0_ = p1_ = 0;
  cal_ = CusumCalibration{};
  s_ = 0;
  if (options_.warmup == 0) SetBaseline(options_.baseline_floor);
}

}  // namespace kaizen::stats
