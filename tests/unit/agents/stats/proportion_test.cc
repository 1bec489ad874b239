#include "agents/stats/proportion.h"

#include <catch2/catch.hpp>

using namespace kaizen::stats;

TEST_CASE("normal quantile matches known values") {
  CHECK(NormalQuantile(0.5) == Approx(0.0).margin(1e-12));
  CHECK(NormalQuantile(0.975) == Approx(1.959963985).epsilon(1e-9));
  CHECK(NormalQuantile(0.995) == Approx(2.575829304).epsilon(1e-9));
  CHECK(NormalQuantile(0.001) == Approx(-3.090232306).epsilon(1e-9));
  CHECK(NormalCdf(NormalQuantile(1e-10)) == Approx(1e-10).epsilon(1e-6));
}

TEST_CASE("wilson interval matches known values") {
  Interval a = WilsonInterval(50, 100, 0.95);
  CHECK(a.low == Approx(0.4038).margin(5e-4));
  CHECK(a.high == Approx(0.5962).margin(5e-4));
  Interval b = WilsonInterval(0, 10, 0.95);
  CHECK(b.low == Approx(0.0).margin(1e-12));
  CHECK(b.high == Approx(0.2775).margin(5e-4));
  Interval c = WilsonInterval(87, 100, 0.95);
  CHECK(c.low == Approx(0.7902).margin(5e-4));
  CHECK(c.high == Approx(0.9224).margin(5e-4));
  Interval e = WilsonInterval(0, 0, 0.95);
  CHECK(e.low == 0);
  CHECK(e.high == 1);
}
