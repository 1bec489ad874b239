#include "agents/stats/window_detector.h"

#include <algorithm>
#include <cmath>

namespace kaizen::stats {

WindowDetector::WindowDetector(int64_t window, double threshold)
    : window_(std::max<int64_t>(window, 1)), threshold_(threshold) {}

bool WindowDetector::Observe(bool up) {
  ++observations_;
  recent_.push_back(up);
  ups_ += up ? 1 : 0;
  if (static_cast<int64_t>(recent_.size()) > window_) {
    ups_ -= recent_.front() ? 1 : 0;
    recent_.pop_front();
  }
  return full() && accuracy() < threshold_;
}

void WindowDetector::Reset() {
  recent_.clear();
  ups_ = 0;
  observations_ = 0;
}

double WindowDetector::accuracy() const {
  if (recent_.empty()) return 1.0;
  return static_cast<double>(ups_) / static_cast<double>(recent_.size());
}

double BinomialUpperTail(int64_t n, double p, int64_t k) {
  if (k < 0) return 1.0;
  if (k >= n) return 0.0;
  if (p <= 0) return 0.0;
  if (p >= 1) return 1.0;
  double lp = std::log(p), lq = std::log1p(-p), lgn = std::lgamma(static_cast<double>(n) + 1);
  // Sum from the top term down so the largest terms are added last.
  double sum = 0;
  for (int64_t i = n; i > k; --i) {
    double li = lgn - std::lgamma(static_cast<double>(i) + 1) - std::lgamma(static_cast<double>(n - i) + 1) +
                static_cast<double>(i) * lp + static_cast<double>(n - i) * lq;
    sum += std::exp(li);
  }
  return std::min(sum, 1.0);
}

double TuneWindowThreshold(int64_t window, double p0, double false_alarm_rate) {
  window = std::max<int64_t>(window, 1);
  int64_t k = 0;
  while (k < window && BinomialUpperTail(window, p0, k) > false_alarm_rate) ++k;
  return static_cast<double>(window - k) / static_cast<double>(window);
}

}  // namespace kaizen::stats
