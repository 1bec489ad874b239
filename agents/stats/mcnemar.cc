#include "agents/stats/mcnemar.h"

#include <algorithm>
#include <cmath>

namespace kaizen::stats {

double McNemarPValue(int64_t b, int64_t c) {
  int64_t n = b + c;
  if (n <= 0) return 1.0;
  int64_t k = std::min(b, c);
  double lgn = std::lgamma(static_cast<double>(n) + 1);
  double lhalf = static_cast<double>(n) * std::log(0.5);
  // log P(X = i); sum with the largest term factored out to keep precision.
  auto log_term = [&](int64_t i) {
    return lgn - std::lgamma(static_cast<double>(i) + 1) - std::lgamma(static_cast<double>(n - i) + 1) + lhalf;
  };
  double top = log_term(k);  // terms grow with i up to n/2, so i = k is the largest
  double sum = 0;
  for (int64_t i = 0; i <= k; ++i) sum += std::exp(log_term(i) - top);
  double p = 2 * std::exp(top + std::log(sum));
  return std::min(1.0, p);
}

}  // namespace kaizen::stats
