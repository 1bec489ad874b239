#include "agents/stats/mcnemar.h"

#include <catch2/catch.hpp>

using kaizen::stats::McNemarPValue;

TEST_CASE("mcnemar exact p-values match known values") {
  CHECK(McNemarPValue(0, 0) == 1.0);
  CHECK(McNemarPValue(5, 5) == 1.0);
  // b=1, c=9: 2 * (1 + 10) / 1024
  CHECK(McNemarPValue(1, 9) == Approx(22.0 / 1024));
  CHECK(McNemarPValue(9, 1) == Approx(22.0 / 1024));
  CHECK(McNemarPValue(0, 5) == Approx(2.0 / 32));
  // Large and lopsided: tiny but representable.
  double p = McNemarPValue(10, 300);
  CHECK(p > 0);
  CHECK(p < 1e-60);
  // Symmetric-ish large counts stay moderate: b=100, c=130 -> about 0.056.
  CHECK(McNemarPValue(100, 130) == Approx(0.0557).margin(3e-3));
}
