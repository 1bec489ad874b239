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
  learnt_ = false;
  Calibrate(p0, p0);
}

void BernoulliCusum::Learn() {
  const double n = static_cast<double>(observations_);
  const double mean = static_cast<double>(downs_) / n;
  Calibrate(mean + options_.baseline_margin_se * std::sqrt(mean * (1 - mean) / n), mean);
  learnt_ = true;
  next_refine_at_ = 2 * observations_;
}

void BernoulliCusum::Calibrate(double p0, double rate) {
  // p1 must stay above p0 and below 1 for both increments to be finite.
  rate_ = rate;
  p0_ = std::clamp(p0, std::max(options_.baseline_floor, 1e-6), 0.98);
  p1_ = std::min(std::max(rate + options_.min_shift, p0_ + 0.01), 0.99);
  cal_ = CalibrateBernoulliCusum(p0_, p1_, options_.false_alarm_rate);
  warmed_up_ = true;
  s_ = 0;
}

bool BernoulliCusum::Observe(bool down) {
  ++observations_;
  downs_ += down ? 1 : 0;
  if (!warmed_up_) {
    if (observations_ >= options_.warmup) Learn();
    return false;
  }
  s_ = std::max<int64_t>(0, s_ + (down ? cal_.down_step : -cal_.up_step));
  // S is 0: nothing under way to rescale or to absorb into the baseline.
  if (s_ == 0 && learnt_ && observations_ >= next_refine_at_) Learn();
  return s_ >= cal_.threshold;
}

void BernoulliCusum::Reset() {
  warmed_up_ = false;
  learnt_ = false;
  downs_ = 0;
  observations_ = 0;
  next_refine_at_ = 0;
  p0_ = p1_ = rate_ = 0;
  cal_ = CusumCalibration{};
  s_ = 0;
  if (options_.warmup == 0) SetBaseline(options_.baseline_floor);
}

}  // namespace kaizen::stats
