// Simulations for the detection benchmark: false alarms on a stable
// thumbs-down stream, and the delay to detect a rise, for any detector.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

namespace kaizen::bench {

// A change detector on the thumbs-down stream, restartable after an alarm.
class Detector {
 public:
  virtual ~Detector() = default;
  virtual bool Observe(bool down) = 0;  // true = alarm
  // After an alarm: start watching again (what monitoring does once the
  // cycle a false alarm caused is over).
  virtual void Restart() = 0;
};
using DetectorFactory = std::function<std::unique_ptr<Detector>()>;

// BernoulliCusum as the product runs it, with a known baseline p0 (no
// warm-up): false_alarm_rate and min_shift as in a manifest, the threshold
// calibrated by the CUSUM itself (in-control ARL by a Markov chain).
DetectorFactory CusumFactory(double p0, double false_alarm_rate, double min_shift);
// The rule before calibration, for comparison: a real-valued CUSUM with
// h = ln(1 / false_alarm_rate) (Lorden's bound), known baseline p0.
DetectorFactory LordenCusumFactory(double p0, double false_alarm_rate, double min_shift);
// WindowDetector over `window` ratings that alarms on more than `k` downs
// (accuracy threshold (window - k) / window).
DetectorFactory WindowFactory(int64_t window, int64_t k);

struct FalseAlarms {
  uint64_t alarms = 0, tasks = 0;
  double rate() const { return tasks ? static_cast<double>(alarms) / static_cast<double>(tasks) : 0; }
};
// Runs `tasks` ratings with down-rate p0 through one detector, restarting it
// after each alarm.
FalseAlarms CountFalseAlarms(const DetectorFactory& make, double p0, uint64_t tasks, uint64_t seed);

// Window detectors for every k in [k_lo, k_hi] at once (they share the
// sliding count; each keeps its own restart time): false alarms per k.
std::vector<FalseAlarms> CountWindowFalseAlarms(int64_t window, int64_t k_lo, int64_t k_hi, double p0, uint64_t tasks,
                                                uint64_t seed);

struct Delays {
  std::vector<double> tasks;    // per run: ratings after the change up to and including the alarm
  uint64_t early_alarms = 0;    // runs restarted because of an alarm before the change
};
// `runs` times: `before` ratings at p0, then p1 until the alarm (at most `cap`).
Delays MeasureDelays(const DetectorFactory& make, double p0, double p1, int before, int runs, int cap, uint64_t seed);

}  // namespace kaizen::bench
