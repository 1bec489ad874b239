#include "bench/detection_sim.h"

#include <algorithm>
#include <cmath>

#include "agents/stats/bernoulli_cusum.h"
#include "agents/stats/window_detector.h"
#include "bench/rng.h"

namespace kaizen::bench {
namespace {

class CusumDetector : public Detector {
 public:
  // Calibrated once per factory; each detector is a copy.
  explicit CusumDetector(const stats::BernoulliCusum& calibrated) : cusum_(calibrated) {}
  static stats::BernoulliCusum Calibrated(double p0, double rate, double min_shift) {
    stats::BernoulliCusum c(Options(rate, min_shift));
    c.SetBaseline(p0);
    return c;
  }
  bool Observe(bool down) override { return cusum_.Observe(down); }
  void Restart() override { cusum_.ClearStatistic(); }

 private:
  static stats::BernoulliCusum::Options Options(double rate, double min_shift) {
    stats::BernoulliCusum::Options o;
    o.warmup = 0;
    o.false_alarm_rate = rate;
    o.min_shift = min_shift;
    return o;
  }
  stats::BernoulliCusum cusum_;
};

class LordenCusum : public Detector {
 public:
  LordenCusum(double p0, double rate, double min_shift)
      : down_(std::log((p0 + min_shift) / p0)), up_(std::log((1 - p0 - min_shift) / (1 - p0))), h_(-std::log(rate)) {}
  bool Observe(bool down) override {
    s_ = std::max(0.0, s_ + (down ? down_ : up_));
    return s_ >= h_;
  }
  void Restart() override { s_ = 0; }

 private:
  double down_, up_, h_, s_ = 0;
};

class WindowRule : public Detector {
 public:
  WindowRule(int64_t window, int64_t k)
      : detector_(window, static_cast<double>(window - k) / static_cast<double>(window)) {}
  bool Observe(bool down) override { return detector_.Observe(!down); }
  void Restart() override { detector_.Reset(); }

 private:
  stats::WindowDetector detector_;
};

}  // namespace

DetectorFactory CusumFactory(double p0, double false_alarm_rate, double min_shift) {
  auto calibrated = std::make_shared<const stats::BernoulliCusum>(
      CusumDetector::Calibrated(p0, false_alarm_rate, min_shift));
  return [calibrated] { return std::make_unique<CusumDetector>(*calibrated); };
}

DetectorFactory LordenCusumFactory(double p0, double false_alarm_rate, double min_shift) {
  return [=] { return std::make_unique<LordenCusum>(p0, false_alarm_rate, min_shift); };
}

DetectorFactory WindowFactory(int64_t window, int64_t k) {
  return [=] { return std::make_unique<WindowRule>(window, k); };
}

FalseAlarms CountFalseAlarms(const DetectorFactory& make, double p0, uint64_t tasks, uint64_t seed) {
  Rng rng(seed);
  auto d = make();
  FalseAlarms f;
  f.tasks = tasks;
  for (uint64_t t = 0; t < tasks; ++t) {
    if (d->Observe(rng.Bernoulli(p0))) {
      ++f.alarms;
      d->Restart();
    }
  }
  return f;
}

std::vector<FalseAlarms> CountWindowFalseAlarms(int64_t window, int64_t k_lo, int64_t k_hi, double p0, uint64_t tasks,
                                                uint64_t seed) {
  Rng rng(seed);
  const auto n = static_cast<size_t>(k_hi - k_lo + 1);
  std::vector<FalseAlarms> out(n);
  std::vector<uint64_t> watching_since(n, 0);  // index of the first rating after the last restart
  std::vector<uint8_t> ring(static_cast<size_t>(window), 0);
  int64_t downs = 0;
  for (uint64_t t = 0; t < tasks; ++t) {
    const size_t slot = t % static_cast<uint64_t>(window);
    const uint8_t x = rng.Bernoulli(p0) ? 1 : 0;
    downs += x - ring[slot];
    ring[slot] = x;
    for (size_t i = 0; i < n; ++i) {
      // Alarm once the window holds `window` ratings since the restart.
      if (t + 1 >= watching_since[i] + static_cast<uint64_t>(window) && downs > k_lo + static_cast<int64_t>(i)) {
        ++out[i].alarms;
        watching_since[i] = t + 1;
      }
    }
  }
  for (auto& f : out) f.tasks = tasks;
  return out;
}

Delays MeasureDelays(const DetectorFactory& make, double p0, double p1, int before, int runs, int cap, uint64_t seed) {
  Rng rng(seed);
  Delays out;
  out.tasks.reserve(static_cast<size_t>(runs));
  while (static_cast<int>(out.tasks.size()) < runs) {
    auto d = make();
    bool early = false;
    for (int t = 0; t < before && !early; ++t) early = d->Observe(rng.Bernoulli(p0));
    if (early) {
      ++out.early_alarms;
      continue;
    }
    int delay = 1;
    while (!d->Observe(rng.Bernoulli(p1)) && delay < cap) ++delay;
    out.tasks.push_back(delay);
  }
  return out;
}

}  // namespace kaizen::bench
