#include "agents/stats/bernoulli_cusum.h"

#include <cmath>
#include <random>

#include <catch2/catch.hpp>

using kaizen::stats::BernoulliCusum;

TEST_CASE("cusum learns its baseline during warm-up, then calibrates h for it") {
  BernoulliCusum::Options o;
  o.warmup = 100;
  o.false_alarm_rate = 1e-3;
  o.min_shift = 0.1;
  BernoulliCusum c(o);
  CHECK(c.threshold() == 0);  // nothing to calibrate for before the baseline is known
  for (int i = 0; i < 100; ++i) CHECK_FALSE(c.Observe(i % 5 == 0));  // 20 % down
  CHECK(c.warmed_up());
  CHECK(c.baseline() == Approx(0.2));
  CHECK(c.alternative() == Approx(0.3));
  CHECK(c.statistic() == 0);
  CHECK(c.in_control_arl() >= 1000);
  CHECK(c.threshold() > 1);
  CHECK(c.threshold() < std::log(1000.0));  // Lorden's bound is conservative
  c.Observe(true);
  CHECK(c.statistic() == Approx(std::log(0.3 / 0.2)).epsilon(0.04));  // on the lattice
  for (int i = 0; i < 4; ++i) c.Observe(false);
  CHECK(c.statistic() == 0);  // clipped at zero
  c.Reset();
  CHECK_FALSE(c.warmed_up());
  CHECK(c.observations() == 0);
}

TEST_CASE("cusum baseline has a floor") {
  BernoulliCusum::Options o;
  o.warmup = 50;
  o.baseline_floor = 0.01;
  BernoulliCusum c(o);
  for (int i = 0; i < 50; ++i) c.Observe(false);
  CHECK(c.baseline() == Approx(0.01));
}

TEST_CASE("cusum false alarms stay below the target rate under no change") {
  BernoulliCusum::Options o;
  o.warmup = 500;
  o.false_alarm_rate = 1e-3;
  o.min_shift = 0.10;
  BernoulliCusum c(o);
  std::mt19937_64 rng(7);
  std::bernoulli_distribution down(0.10);
  int64_t alarms = 0, watched = 0;
  for (int i = 0; i < 200000; ++i) {
    bool was_warm = c.warmed_up();
    if (c.Observe(down(rng))) {
      ++alarms;
      c.Reset();  // as monitoring does after a cycle: relearn the baseline
    }
    watched += was_warm ? 1 : 0;
  }
  REQUIRE(watched > 100000);
  double rate = static_cast<double>(alarms) / static_cast<double>(watched);
  INFO("alarms " << alarms << " over " << watched << " watched observations");
  CHECK(rate <= 1e-3);
}

TEST_CASE("cusum detects a 0.10 -> 0.30 shift within a few dozen observations") {
  BernoulliCusum::Options o;
  o.warmup = 0;
  o.false_alarm_rate = 1e-3;
  o.min_shift = 0.10;
  std::mt19937_64 rng(11);
  std::bernoulli_distribution before(0.10), after(0.30);
  double total_delay = 0;
  const int kRuns = 200;
  BernoulliCusum calibrated(o);
  calibrated.SetBaseline(0.10);  // calibrates once; copies share it
  for (int run = 0; run < kRuns; ++run) {
    BernoulliCusum c = calibrated;
    for (int i = 0; i < 300; ++i) c.Observe(before(rng));  // a stationary stretch first
    c.ClearStatistic();
    int delay = 0;
    while (!c.Observe(after(rng)) && delay < 10000) ++delay;
    total_delay += delay + 1;
  }
  double mean_delay = total_delay / kRuns;
  INFO("mean detection delay " << mean_delay);
  CHECK(mean_delay < 100);
}
