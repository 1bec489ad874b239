// BernoulliCusum: change detection on a 0/1 stream (1 = thumbs down).
//
// The first `warmup` observations only estimate the baseline rate
//   p0 = max(floor, downs / warmup)
// and the alternative (the design point) is the smallest shift worth
// detecting, p1 = min(p0 + min_shift, 0.99). After warm-up each observation x
// adds its log-likelihood ratio
//   inc = x ln(p1/p0) + (1-x) ln((1-p1)/(1-p0)),   S = max(0, S + inc),
// and the detector alarms when S >= h.
//
// The threshold h is calibrated, not bounded: when the baseline is set, h is
// the smallest threshold whose in-control average run length is at least
// 1 / false_alarm_rate, computed exactly by a Markov chain on a lattice of the
// statistic (agents/stats/cusum_arl.h: Brook & Evans 1972, Reynolds &
// Stoumbos 1999). So on a stream that stays at p0, restarting after each
// alarm, false alarms per observation are close to and not above
// false_alarm_rate (measured in bench/ and tests). The statistic runs on the
// same lattice (the increments rounded to half a unit, 1/32 of the smaller
// step; 1/12 at worst for tiny shifts), so
// the calibration is of the chart that runs. It costs a few ms (p0 0.1, p1
// 0.2, 1e-4), once per baseline.
//
// The calibration assumes p0 is the true rate. A baseline estimated from
// `warmup` ratings is off by ~sqrt(p0(1-p0)/warmup); a low estimate raises
// the false-alarm rate, so a longer warm-up makes the rate more faithful.
#pragma once

#include <cstdint>

#include "agents/stats/cusum_arl.h"

namespace kaizen::stats {

class BernoulliCusum {
 public:
  struct Options {
    int64_t warmup = 200;            // observations that learn p0
    double false_alarm_rate = 1e-4;  // per observation under no change; calibrates h
    double min_shift = 0.10;         // p1 = p0 + min_shift
    double baseline_floor = 0.01;    // p0 never below this
  };

  explicit BernoulliCusum(const Options& options);

  // Adds one observation (true = thumbs down). Returns true while S >= h.
  bool Observe(bool down);

  // Skips warm-up: use this baseline from now on (calibrates h for it).
  void SetBaseline(double p0);
  // Sets S back to 0 and keeps the baseline: new evidence is needed to alarm.
  void ClearStatistic() { s_ = 0; }
  // Forgets the statistic and the baseline; the next `warmup` observations
  // learn a new one. Options are kept.
  void Reset();

  bool warmed_up() const { return warmed_up_; }
  double statistic() const { return static_cast<double>(s_) * cal_.unit; }  // nats
  double threshold() const { return static_cast<double>(cal_.threshold) * cal_.unit; }  // nats; 0 until warmed up
  double in_control_arl() const { return cal_.arl0; }  // observations per false alarm at p0
  double baseline() const { return p0_; }      // 0 until warmed up
  double alternative() const { return p1_; }
  int64_t observations() const { return observations_; }  // since Reset, warm-up included
  const Options& options() const { return options_; }
  const CusumCalibration& calibration() const { return cal_; }

 private:
  Options options_;
  bool warmed_up_ = false;
  int64_t warmup_downs_ = 0;
  int64_t observations_ = 0;
  double p0_ = 0, p1_ = 0;
  CusumCalibration cal_;
  int64_t s_ = 0;  // lattice units
};

}  // namespace kaizen::stats
