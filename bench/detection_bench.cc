// Figure 3, detection: tasks from a rise of the thumbs-down rate to the
// alarm, for the product's Bernoulli CUSUM and for the "accuracy over the last
// N tasks" window rule, both at a measured false-alarm rate of at most 1 per
// 10,000 tasks.
//
//  * CUSUM: BernoulliCusum as a manifest configures it: false_alarm_rate
//    1e-4 (its threshold calibrated by the CUSUM's own Markov-chain ARL) and
//    min_shift 0.10 as in the demo manifest; also min_shift 0.05, a user who
//    wants to catch smaller rises. The same detectors for every shift.
//  * window: for every N of a grid, the lowest alarm count k whose measured
//    false-alarm rate is <= 1e-4 (simulation); for each shift the N with the
//    shortest median delay is the baseline, so the window is tuned per shift
//    with hindsight: the strongest honest baseline.
//  * Shifts: thumbs up 0.90 -> 0.75 (the example), -> 0.80, -> 0.85.
//  * For reference: the rule before calibration (h = ln(1/rate)), and the
//    false-alarm rate when the CUSUM learns its baseline from its warm-up.
//
//   detection_bench [--json FILE] [--quick]
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "agents/stats/cusum_arl.h"
#include "agents/stats/window_detector.h"
#include "bench/detection_sim.h"
#include "bench/report.h"
#include "bench/timing.h"

namespace kaizen::bench {
namespace {

struct Plan {
  double p0 = 0.10;                              // thumbs-down rate before the change
  std::vector<double> p1s = {0.25, 0.20, 0.15};  // ... after it (thumbs up 0.75, 0.80, 0.85)
  double far = 1e-4;                             // false alarms per task, at most
  std::vector<double> min_shifts = {0.10, 0.05}; // CUSUM design shifts; the first is the demo manifest's
  std::vector<int64_t> warmups = {200, 1000};    // warmup_tasks: the manifest default, and a longer one
  uint64_t calibrate_tasks = 20'000'000, verify_tasks = 50'000'000, cusum_verify_tasks = 100'000'000;
  int runs = 10000, before = 500, cap = 200000;
  std::vector<int64_t> windows = {25, 50, 75, 100, 150, 200, 300, 400, 600, 800};
};

struct Setting {
  std::string what;
  DetectorFactory make;
  FalseAlarms far;  // measured on a stream the calibration never saw
  int before = 0;   // ratings at p0 before each change
};

struct Delay {
  double median = 0, mean = 0, p90 = 0;
  Delays raw;
};

Delay Measure(const Setting& s, const Plan& plan, double p1, uint64_t seed) {
  Delay d;
  d.raw = MeasureDelays(s.make, plan.p0, p1, s.before, plan.runs, plan.cap, seed);
  d.median = Median(d.raw.tasks);
  d.mean = Mean(d.raw.tasks);
  auto v = d.raw.tasks;
  d.p90 = Percentile(v, 0.9);
  return d;
}

std::string Label(double p1) {  // "0.75" for a down-rate of 0.25
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.2f", 1 - p1);
  return buf;
}

Setting ProductCusum(double min_shift, const Plan& plan) {
  const auto cal = stats::CalibrateBernoulliCusum(plan.p0, plan.p0 + min_shift, plan.far);
  Setting s;
  s.make = CusumFactory(plan.p0, plan.far, min_shift);
  s.far = CountFalseAlarms(s.make, plan.p0, plan.cusum_verify_tasks, 12);
  s.before = plan.before;
  char buf[200];
  std::snprintf(buf, sizeof buf, "CUSUM false_alarm_rate %.0e, min_shift %.2f (h=%.2f nats, 1/ARL0=%.3g)", plan.far,
                min_shift, static_cast<double>(cal.threshold) * cal.unit, 1 / cal.arl0);
  s.what = buf;
  return s;
}

int64_t NominalK(int64_t window, const Plan& plan) {
  double thr = stats::TuneWindowThreshold(window, plan.p0, plan.far);
  return window - std::llround(thr * static_cast<double>(window));
}

// For one window size: the lowest k (alarm on more than k downs) whose
// false-alarm rate is <= far, confirmed on another stream (stepping k up
// until it is).
Setting CalibrateWindow(int64_t window, const Plan& plan) {
  const int64_t k_hi = NominalK(window, plan);
  const auto k_lo = static_cast<int64_t>(std::floor(plan.p0 * static_cast<double>(window)));
  auto counts = CountWindowFalseAlarms(window, k_lo, k_hi, plan.p0, plan.calibrate_tasks, 21);
  int64_t k = k_hi;
  for (int64_t i = k_lo; i <= k_hi; ++i) {
    if (counts[static_cast<size_t>(i - k_lo)].rate() <= plan.far) {
      k = i;
      break;
    }
  }
  Setting s;
  s.before = plan.before + static_cast<int>(window);  // a full window in steady state at the change
  for (;; ++k) {
    s.make = WindowFactory(window, k);
    s.far = CountFalseAlarms(s.make, plan.p0, plan.verify_tasks, 22);
    char buf[160];
    std::snprintf(buf, sizeof buf, "window N=%lld, alarm on > %lld downs (accuracy < %.3f)",
                  static_cast<long long>(window), static_cast<long long>(k),
                  static_cast<double>(window - k) / static_cast<double>(window));
    s.what = buf;
    if (s.far.rate() <= plan.far) break;
  }
  return s;
}

nlohmann::json Describe(const Setting& s, const Delay& d) {
  return {{"detector", s.what},
          {"false_alarms", s.far.alarms},
          {"false_alarm_tasks", s.far.tasks},
          {"false_alarm_rate", s.far.rate()},
          {"median_delay", d.median},
          {"mean_delay", d.mean},
          {"p90_delay", d.p90},
          {"runs", d.raw.tasks.size()},
          {"ratings_before_change", s.before},
          {"early_alarms_rerun", d.raw.early_alarms}};
}

// Zero-state ARL under p1 from the Markov chain: the theory beside the
// simulated (steady-state) delay.
double ChainDelay(double min_shift, double p1, const Plan& plan) {
  const auto cal = stats::CalibrateBernoulliCusum(plan.p0, plan.p0 + min_shift, plan.far);
  return stats::LatticeCusumArl(cal.down_step, cal.up_step, cal.threshold, p1);
}

struct LearntRate {
  double mean_rate = 0, p_above = 0;
};

LearntRate LearntBaselineRate(int64_t warmup, double min_shift, const Plan& plan) {
  LearntRate r;
  const double n = static_cast<double>(warmup);
  for (int64_t k = 0; k <= warmup; ++k) {
    const double kd = static_cast<double>(k);
    const double w = std::exp(std::lgamma(n + 1) - std::lgamma(kd + 1) - std::lgamma(n - kd + 1) +
                              kd * std::log(plan.p0) + (n - kd) * std::log1p(-plan.p0));
    if (w < 1e-12) continue;
    // As BernoulliCusum::SetBaseline: floor 0.01, p1 = p0 + min_shift.
    const double p0_hat = std::clamp(kd / n, 0.01, 0.98);
    const auto cal = stats::CalibrateBernoulliCusum(p0_hat, std::min(p0_hat + min_shift, 0.99), plan.far);
    const double rate = 1 / stats::LatticeCusumArl(cal.down_step, cal.up_step, cal.threshold, plan.p0);
    r.mean_rate += w * rate;
    if (rate > plan.far) r.p_above += w;
  }
  return r;
}

void Run(Report& report, const Plan& plan) {
  std::vector<Setting> cusums;
  for (double ms : plan.min_shifts) cusums.push_back(ProductCusum(ms, plan));
  std::vector<Setting> windows;
  for (int64_t n : plan.windows) windows.push_back(CalibrateWindow(n, plan));

  nlohmann::json shifts = nlohmann::json::array();
  for (size_t si = 0; si < plan.p1s.size(); ++si) {
    const double p1 = plan.p1s[si];
    const std::string up = Label(p1);
    const std::string prefix = si == 0 ? "detection" : "detection.to_" + up;
    nlohmann::json sweep = nlohmann::json::array();
    size_t best = 0;
    std::vector<Delay> wd;
    for (size_t i = 0; i < windows.size(); ++i) {
      wd.push_back(Measure(windows[i], plan, p1, 32 + si));
      sweep.push_back(Describe(windows[i], wd.back()));
      if (wd[i].median < wd[best].median || (wd[i].median == wd[best].median && wd[i].mean < wd[best].mean)) best = i;
    }
    nlohmann::json cusum_details = nlohmann::json::array();
    for (size_t c = 0; c < cusums.size(); ++c) {
      const Delay d = Measure(cusums[c], plan, p1, 31 + si);
      auto desc = Describe(cusums[c], d);
      desc["chain_zero_state_arl1"] = ChainDelay(plan.min_shifts[c], p1, plan);
      cusum_details.push_back(desc);
      char ms[16];
      std::snprintf(ms, sizeof ms, "%.2f", plan.min_shifts[c]);
      const std::string name = prefix + (c == 0 ? ".cusum" : std::string(".cusum_min_shift_") + ms) + ".median_delay";
      report.Add({name, d.median, "tasks", wd[best].median,
                  "thumbs up 0.90 -> " + up + ", best window: " + windows[best].what + " (mean " +
                      std::to_string(std::lround(wd[best].mean)) + "); " + cusums[c].what + " (mean " +
                      std::to_string(std::lround(d.mean)) + ")",
                  "ratio <= 0.5", {{"cusum", desc}, {"window", Describe(windows[best], wd[best])}}});
    }
    shifts.push_back({{"p1_down", p1}, {"thumbs_up_after", 1 - p1}, {"cusum", cusum_details}, {"window_sweep", sweep},
                      {"best_window", windows[best].what}});
  }
  report.Set("shifts", shifts);

  // False alarms, measured: the product CUSUM (demo min_shift) beside the
  // window setting with the highest rate (the closest to 1e-4).
  const Setting* w_max = &windows[0];
  for (const auto& w : windows) {
    if (w.far.rate() > w_max->far.rate()) w_max = &w;
  }
  bool all_ok = true;
  for (const auto& s : cusums) all_ok = all_ok && s.far.rate() <= plan.far;
  for (const auto& s : windows) all_ok = all_ok && s.far.rate() <= plan.far;
  char buf[300];
  std::snprintf(buf, sizeof buf,
                "highest measured rate of a window setting (%s); CUSUM over %llu tasks, windows over %llu; every "
                "setting <= %.0e: %s",
                w_max->what.c_str(), static_cast<unsigned long long>(cusums[0].far.tasks),
                static_cast<unsigned long long>(w_max->far.tasks), plan.far, all_ok ? "yes" : "NO");
  report.Add({"detection.cusum.false_alarm_rate", cusums[0].far.rate(), "per task", w_max->far.rate(), buf,
              "value <= " + std::to_string(plan.far)});

  // Before the calibration: the same CUSUM with h = ln(1/rate).
  Setting lorden;
  lorden.make = LordenCusumFactory(plan.p0, plan.far, plan.min_shifts[0]);
  lorden.far = CountFalseAlarms(lorden.make, plan.p0, plan.verify_tasks, 12);
  lorden.before = plan.before;
  lorden.what = "CUSUM with h = ln(1/1e-4) = 9.21 (before calibration), min_shift 0.10";
  const Delay ld = Measure(lorden, plan, plan.p1s[0], 31);
  const Delay cd = Measure(cusums[0], plan, plan.p1s[0], 31);
  report.Add({"detection.lorden_bound.median_delay", ld.median, "tasks", cd.median,
              "calibrated CUSUM, thumbs up 0.90 -> 0.75; " + lorden.what + ": measured false alarms " +
                  std::to_string(lorden.far.rate()) + " per task",
              "", {{"lorden", Describe(lorden, ld)}, {"calibrated", Describe(cusums[0], cd)}}});

  // The product learns p0 from its first ratings: what that does to the rate,
  // computed exactly (no simulation: one run can sit for ever on a high
  // estimate). For each possible count k of downs in the warm-up, the chart
  // calibrated for k / warmup has a true in-control ARL at p0 from the chain;
  // the rate a user sees on average is sum_k P(k) / ARL_k.
  for (int64_t warmup : plan.warmups) {
    const LearntRate r = LearntBaselineRate(warmup, plan.min_shifts[0], plan);
    char buf[300];
    std::snprintf(buf, sizeof buf,
                  "requested rate; p0 learnt from %lld ratings (warmup_tasks), min_shift %.2f: exact average over "
                  "the warm-up's outcomes; P(the learnt chart's rate > requested) = %.2f",
                  static_cast<long long>(warmup), plan.min_shifts[0], r.p_above);
    report.Add({"detection.cusum_learnt_baseline_" + std::to_string(warmup) + ".false_alarm_rate", r.mean_rate,
                "per task", plan.far, buf, ""});
  }
}

}  // namespace
}  // namespace kaizen::bench

int main(int argc, char** argv) {
  using namespace kaizen::bench;
  Plan plan;
  if (QuickArg(argc, argv)) {
    plan.calibrate_tasks = 2'000'000;
    plan.verify_tasks = 5'000'000;
    plan.cusum_verify_tasks = 10'000'000;
    plan.runs = 2000;
  }
  Report report("detection");
  report.Set("settings", {{"p0_down", plan.p0},
                          {"p1_down", plan.p1s},
                          {"target_false_alarm_rate", plan.far},
                          {"cusum_min_shifts", plan.min_shifts},
                          {"cusum_threshold", "calibrated by BernoulliCusum (Markov-chain ARL0 >= 1/rate)"},
                          {"baseline", "known to both detectors (no warm-up), except the learnt-baseline lines"},
                          {"calibrate_tasks", plan.calibrate_tasks},
                          {"verify_tasks", plan.verify_tasks},
                          {"cusum_verify_tasks", plan.cusum_verify_tasks},
                          {"runs", plan.runs},
                          {"ratings_before_change", "500 (CUSUM), 500 + N (window N)"},
                          {"after_an_alarm", "CUSUM: statistic cleared; window: emptied and refilled"}});
  Run(report, plan);
  return report.WriteJson(JsonPathArg(argc, argv)) ? 0 : 1;
}
