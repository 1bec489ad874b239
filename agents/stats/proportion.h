// Interval estimates for a proportion.
#pragma once

#include <cstdint>

namespace kaizen::stats {

struct Interval {
  double low = 0;
  double high = 1;
};

// The standard normal quantile: x with Phi(x) = p, for 0 < p < 1 (Acklam's
// rational approximation, relative error < 1.2e-9, one Halley refinement).
double NormalQuantile(double p);
// Phi(x), the standard normal CDF.
double NormalCdf(double x);

// Wilson score interval for successes / n at a two-sided confidence such as
// 0.95. n == 0 gives [0, 1].
Interval WilsonInterval(int64_t successes, int64_t n, double confidence);

}  // namespace kaizen::stats
