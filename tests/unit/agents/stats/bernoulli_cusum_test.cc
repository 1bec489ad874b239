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
  CHECK(c.baseline() == Approx(0.2 + 2 * std::sqrt(0.2 * 0.8 / 100)));  // 2 standard errors above the rate
  CHECK(c.alternative() == Approx(0.3));
  CHECK(c.statistic() == 0);
  CHECK(c.in_control_arl() >= 1000);
  CHECK(c.threshold() > 1);
  CHECK(c.threshold() < std::log(1000.0));  // Lorden's bound is conservative
  c.Observe(true);
  CHECK(c.statistic() == Approx(std::log(0.3 / c.baseline())).epsilon(0.04));  // on the lattice
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

TEST_CASE("a learnt cusum baseline sits two standard errors above the rate, and is re-estimated as ratings double") {
  BernoulliCusum::Options o;
  o.warmup = 100;
  o.false_alarm_rate = 1e-3;
  o.min_shift = 0.1;
  BernoulliCusum c(o);
  for (int i = 0; i < 100; ++i) c.Observe(i % 10 == 0);  // warm-up: 10 % down
  const double se100 = std::sqrt(0.1 * 0.9 / 100);
  REQUIRE(c.baseline() == Approx(0.10 + 2 * se100));
  CHECK(c.alternative() == Approx(0.20));  // the shift is from the rate, not from the margin
  const double h_first = c.threshold();
  // The rate is really 12.5 %: S rises at each down and is back at 0 before the next.
  bool alarmed = false;
  int at = 100;
  for (; at < 199; ++at) alarmed = c.Observe(at % 8 == 0) || alarmed;
  CHECK(c.baseline() == Approx(0.10 + 2 * se100));
  alarmed = c.Observe(at++ % 8 == 0) || alarmed;  // the 200th, S at 0: all 200 re-estimate it
  const double r = 22.0 / 200;
  CHECK(c.statistic() == 0);
  CHECK(c.baseline() == Approx(r + 2 * std::sqrt(r * (1 - r) / 200)));
  CHECK(c.alternative() == Approx(r + 0.1));
  CHECK(c.threshold() != h_first);
  // Then at 400, 800, 1600: the margin shrinks and r nears 12.5 %.
  for (; at < 1700; ++at) alarmed = c.Observe(at % 8 == 0) || alarmed;
  CHECK_FALSE(alarmed);
  CHECK(c.alternative() > 0.22);
  CHECK(c.baseline() < 0.125 + 2 * std::sqrt(0.125 * 0.875 / 1600) + 0.002);
  // A baseline that was given is kept, with no margin.
  BernoulliCusum given(o);
  given.SetBaseline(0.10);
  CHECK(given.alternative() == Approx(0.20));
  for (int i = 0; i < 1000; ++i) given.Observe(i % 50 == 0);
  CHECK(given.baseline() == Approx(0.10));
}

TEST_CASE("cusum false alarms stay below the target rate when a short warm-up learns the baseline") {
  // 200 ratings estimate a 0.12 rate within ~0.023. Taken as the truth, the
  // estimate gives 3.3x the target rate here (measured before the margin
  // and the re-estimation were added); with them, under it.
  BernoulliCusum::Options o;
  o.warmup = 200;
  o.false_alarm_rate = 1e-4;
  o.min_shift = 0.10;
  std::mt19937_64 rng(1);
  std::bernoulli_distribution down(0.12);
  int64_t alarms = 0, watched = 0;
  // Each run as a cluster sees it: a baseline learnt afresh, then the same
  // model rated 20000 times; the statistic restarts after each alarm.
  for (int run = 0; run < 100; ++run) {
    BernoulliCusum c(o);
    for (int i = 0; i < 20000; ++i) {
      watched += c.warmed_up() ? 1 : 0;
      if (c.Observe(down(rng))) {
        ++alarms;
        c.ClearStatistic();
      }
    }
  }
  INFO("alarms " << alarms << " over " << watched << " watched observations");
  CHECK(static_cast<double>(alarms) / static_cast<double>(watched) <= 1e-4);
}
