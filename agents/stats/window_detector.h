// WindowDetector: the "accuracy over the last N tasks" rule. Alarms when the
// share of thumbs up over the last N observations falls below a threshold;
// silent until N observations have been seen.
#pragma once

#include <cstdint>
#include <deque>

namespace kaizen::stats {

class WindowDetector {
 public:
  WindowDetector(int64_t window, double threshold);

  // Adds one observation (true = thumbs up). Returns true when the window is
  // full and its accuracy is below the threshold.
  bool Observe(bool up);
  void Reset();

  bool full() const { return static_cast<int64_t>(recent_.size()) >= window_; }
  double accuracy() const;  // over what is in the window; 1 when empty
  double threshold() const { return threshold_; }
  int64_t window() const { return window_; }
  int64_t observations() const { return observations_; }

 private:
  int64_t window_;
  double threshold_;
  std::deque<bool> recent_;
  int64_t ups_ = 0;
  int64_t observations_ = 0;
};

// P(X > k) for X ~ Binomial(n, p), computed in log space.
double BinomialUpperTail(int64_t n, double p, int64_t k);

// The highest accuracy threshold whose alarm probability at one observation
// (a full window of N tasks from a stream with down-rate p0) is at most
// `false_alarm_rate`: with D ~ Binomial(N, p0) downs in the window, the rule
// alarms when D > k; k is the smallest with P(D > k) <= rate and the
// threshold is (N - k) / N (alarm when accuracy < threshold). Overlapping
// windows make alarms cluster, so the run length to the first false alarm is
// longer than 1 / rate: measured (bench figure 3), N = 200 tuned for 1e-4
// gives 4.4e-6 false alarms per task; the bench calibrates k by simulation.
double TuneWindowThreshold(int64_t window, double p0, double false_alarm_rate);

}  // namespace kaizen::stats
