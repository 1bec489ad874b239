#include "agents/stats/cusum_arl.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace kaizen::stats {
namespace {

// Units given to the smaller of the two steps, lowered when the chain would be
// too big to solve quickly (tiny shifts: thousands of states).
constexpr int64_t kResolution = 16;
constexpr int64_t kMinResolution = 6;
constexpr double kWorkPerSolve = 4e6;  // multiply-adds one ARL solve may take

}  // namespace

double LatticeCusumArl(int64_t down_step, int64_t up_step, int64_t threshold, double p) {
  const int64_t n = std::max<int64_t>(threshold, 1);
  const int64_t a = std::max<int64_t>(down_step, 1), b = std::max<int64_t>(up_step, 1);
  const double q = 1 - p;
  // Row i of (I - P) holds columns i-b .. i+a, stored at offset col - i + b.
  const int64_t width = a + b + 1;
  std::vector<double> band(static_cast<size_t>(n * width), 0.0);
  std::vector<double> rhs(static_cast<size_t>(n), 1.0);
  auto at = [&](int64_t row, int64_t col) -> double& {
    return band[static_cast<size_t>(row * width + (col - row + b))];
  };
  for (int64_t i = 0; i < n; ++i) {
    at(i, i) += 1;
    at(i, std::max<int64_t>(0, i - b)) -= q;   // a thumbs up (reflected at 0)
    if (i + a < n) at(i, i + a) -= p;          // a thumbs down that stays below H
  }
  // Gaussian elimination without pivoting: every row is diagonally dominant
  // (off-diagonal mass <= p + q = 1 against a diagonal of 1; row 0: p against
  // p), which elimination preserves, so no pivot is needed and the band holds.
  for (int64_t k = 0; k < n; ++k) {
    const double pivot = at(k, k);
    const int64_t last_row = std::min(n - 1, k + b), last_col = std::min(n - 1, k + a);
    for (int64_t r = k + 1; r <= last_row; ++r) {
      const double f = at(r, k) / pivot;
      if (f == 0) continue;
      for (int64_t c = k; c <= last_col; ++c) at(r, c) -= f * at(k, c);
      rhs[static_cast<size_t>(r)] -= f * rhs[static_cast<size_t>(k)];
    }
  }
  std::vector<double> arl(static_cast<size_t>(n), 0.0);
  for (int64_t k = n - 1; k >= 0; --k) {
    double s = rhs[static_cast<size_t>(k)];
    const int64_t last_col = std::min(n - 1, k + a);
    for (int64_t c = k + 1; c <= last_col; ++c) s -= at(k, c) * arl[static_cast<size_t>(c)];
    arl[static_cast<size_t>(k)] = s / at(k, k);
  }
  return arl[0];
}

CusumCalibration CalibrateBernoulliCusum(double p0, double p1, double false_alarm_rate) {
  const double down = std::log(p1 / p0), up = std::log((1 - p0) / (1 - p1));
  const double target = 1.0 / std::clamp(false_alarm_rate, 1e-12, 0.999);
  // Lorden: ARL0 >= e^h for the continuous chart, so ln(target) (plus a margin
  // for the rounding of the steps) brackets the threshold from above.
  const double h_bound = std::log(target) + std::max(down, up);
  const double smaller = std::min(down, up), ratio = std::max(down, up) / smaller;
  int64_t res = kResolution;
  auto work = [&](int64_t r) {
    double rd = static_cast<double>(r);
    return (h_bound / smaller * rd) * rd * rd * (1 + ratio);
  };
  while (res > kMinResolution && work(res) > kWorkPerSolve) --res;

  CusumCalibration c;
  c.unit = smaller / static_cast<double>(res);
  c.down_step = std::max<int64_t>(1, std::llround(down / c.unit));
  c.up_step = std::max<int64_t>(1, std::llround(up / c.unit));
  auto arl = [&](int64_t h) { return LatticeCusumArl(c.down_step, c.up_step, h, p0); };

  int64_t hi = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(h_bound / c.unit)));
  double arl_hi = arl(hi);
  while (arl_hi < target) {  // rounding pushed it below: widen (rare, cheap)
    hi *= 2;
    arl_hi = arl(hi);
  }
  // ln ARL0 grows almost linearly in the threshold, so interpolating it
  // lands near the answer; every other step bisects, so the bracket at least
  // halves every two solves whatever the shape.
  int64_t lo = 0;  // ARL(lo) < target: threshold 0 alarms at the first rating (ARL 1)
  double arl_lo = 1;
  for (int step = 0; hi - lo > 1; ++step) {
    int64_t mid = lo + (hi - lo) / 2;
    if (step % 2 == 0) {
      const double f = (std::log(target) - std::log(arl_lo)) / (std::log(arl_hi) - std::log(arl_lo));
      mid = std::clamp<int64_t>(lo + static_cast<int64_t>(std::ceil(f * static_cast<double>(hi - lo))), lo + 1, hi - 1);
    }
    const double m = arl(mid);
    if (m >= target) {
      hi = mid;
      arl_hi = m;
    } else {
      lo = mid;
      arl_lo = m;
    }
  }
  c.threshold = hi;
  c.arl0 = arl_hi;
  return c;
}

}  // namespace kaizen::stats
