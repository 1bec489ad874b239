// Clocks and percentiles for the benchmarks.
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

namespace kaizen::bench {

inline int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// The q-quantile (0..1) by nearest rank; 0 for no samples. Sorts `v`.
double Percentile(std::vector<double>& v, double q);
double Median(std::vector<double> v);
double Mean(const std::vector<double>& v);

}  // namespace kaizen::bench
