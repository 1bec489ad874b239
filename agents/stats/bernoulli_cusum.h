// BernoulliCusum: change detection on a 0/1 stream (1 = thumbs down).
//
// The first `warmup` observations only estimate the baseline rate
//   p0 = max(floor, downs / warmup)
// and the alternative is the smallest shift worth detecting,
//   p1 = min(p0 + min_shift, 0.99).
// After warm-up each observation x adds its log-likelihood ratio
//   inc = x ln(p1/p0) + (1-x) ln((1-p1)/(1-p0)),   S = max(0, S + inc),
// and the detector alarms when S >= h. The threshold comes from a target
// false-alarm rate a per observation: h = ln(1/a). For a CUSUM of likelihood
// ratios the average run length before a false alarm is ARL0 >= e^h = 1/a
// (Lorden 1971), so a is an upper bound on the false-alarm rate when the
// baseline is right.
#pragma once

#include <cstdint>

namespace kaizen::stats {

class BernoulliCusum {
 public:
  struct Options {
    int64_t warmup = 200;            // observations that learn p0
    double false_alarm_rate = 1e-3;  // per observation, sets h = ln(1/rate)
    double min_shift = 0.10;         // p1 = p0 + min_shift
    double baseline_floor = 0.01;    // p0 never below this
  };

  explicit BernoulliCusum(const Options& options);

  // Adds one observation (true = thumbs down). Returns true while S >= h.
  bool Observe(bool down);

  // Skips warm-up: use this baseline from now on.
  void SetBaseline(double p0);
  // Sets S back to 0 and keeps the baseline: new evidence is needed to alarm.
  void ClearStatistic() { s_ = 0; }
  // Forgets the statistic and the baseline; the next `warmup` observations
  // learn a new one. Options are kept.
  void Reset();

  bool warmed_up() const { return warmed_up_; }
  double statistic() const { return s_; }
  double threshold() const { return h_; }
  double baseline() const { return p0_; }      // 0 until warmed up
  double alternative() const { return p1_; }
  int64_t observations() const { return observations_; }  // since Reset, warm-up included
  const Options& options() const { return options_; }

 private:
  Options options_;
  double h_;
  bool warmed_up_ = false;
  int64_t warmup_downs_ = 0;
  int64_t observations_ = 0;
  double p0_ = 0, p1_ = 0, up_inc_ = 0, down_inc_ = 0;
  double s_ = 0;
};

}  // namespace kaizen::stats
