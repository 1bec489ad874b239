#include "agents/stats/window_detector.h"

#include <random>

#include <catch2/catch.hpp>

using kaizen::stats::BinomialUpperTail;
using kaizen::stats::TuneWindowThreshold;
using kaizen::stats::WindowDetector;

TEST_CASE("window detector is silent until the window is full") {
  WindowDetector w(10, 0.8);
  for (int i = 0; i < 9; ++i) CHECK_FALSE(w.Observe(false));
  CHECK_FALSE(w.full());
  CHECK(w.Observe(false));
  CHECK(w.accuracy() == 0);
}

TEST_CASE("window detector alarms on accuracy below the threshold over the last N") {
  WindowDetector w(10, 0.8);
  for (int i = 0; i < 10; ++i) CHECK_FALSE(w.Observe(true));
  CHECK(w.accuracy() == 1.0);
  CHECK_FALSE(w.Observe(false));  // 9/10
  CHECK_FALSE(w.Observe(false));  // 8/10, not below 0.8
  CHECK(w.Observe(false));        // 7/10
  for (int i = 0; i < 10; ++i) w.Observe(true);
  CHECK(w.accuracy() == 1.0);  // old observations left the window
  w.Reset();
  CHECK(w.observations() == 0);
  CHECK_FALSE(w.full());
}

TEST_CASE("binomial upper tail matches known values") {
  CHECK(BinomialUpperTail(10, 0.5, 4) == Approx(0.623046875));  // P(X >= 5)
  CHECK(BinomialUpperTail(10, 0.5, 9) == Approx(1.0 / 1024));
  CHECK(BinomialUpperTail(10, 0.5, 10) == 0);
  CHECK(BinomialUpperTail(10, 0.5, -1) == 1);
}

TEST_CASE("tuned window threshold keeps the per-observation alarm rate near the target") {
  const int64_t n = 100;
  const double p0 = 0.1, target = 1e-3;
  double th = TuneWindowThreshold(n, p0, target);
  CHECK(th < 0.9);
  CHECK(th > 0.7);
  // The next stricter threshold would break the target.
  int64_t k = n - static_cast<int64_t>(th * n + 0.5);
  CHECK(BinomialUpperTail(n, p0, k) <= target);
  CHECK(BinomialUpperTail(n, p0, k - 1) > target);

  WindowDetector w(n, th);
  std::mt19937_64 rng(3);
  std::bernoulli_distribution up(1 - p0);
  int64_t alarms = 0, watched = 0;
  for (int i = 0; i < 200000; ++i) {
    bool a = w.Observe(up(rng));
    if (w.full()) {
      ++watched;
      alarms += a ? 1 : 0;
    }
  }
  CHECK(static_cast<double>(alarms) / static_cast<double>(watched) <= 3 * target);
}
