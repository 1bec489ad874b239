#include "runtime/report/calibration.h"

#include <algorithm>
#include <cmath>

namespace kaizen::report {

Calibration ComputeCalibration(const std::vector<JudgedAnswer>& answers, int bins) {
  const int n = std::max(1, bins);
  Calibration c;
  c.bins.resize(static_cast<size_t>(n));
  std::vector<double> confidence_sum(c.bins.size(), 0.0);
  std::vector<uint64_t> correct(c.bins.size(), 0);
  for (int i = 0; i < n; ++i) {
    c.bins[i].low = static_cast<double>(i) / n;
    c.bins[i].high = static_cast<double>(i + 1) / n;
  }
  for (const JudgedAnswer& a : answers) {
    if (std::isnan(a.confidence)) continue;
    const double conf = std::clamp(a.confidence, 0.0, 1.0);
    const int b = std::min(n - 1, static_cast<int>(conf * n));
    ++c.bins[b].count;
    confidence_sum[b] += conf;
    correct[b] += a.correct;
    ++c.judged;
  }
  if (c.judged == 0) return c;
  double ece = 0;
  for (size_t b = 0; b < c.bins.size(); ++b) {
    ReliabilityBin& bin = c.bins[b];
    if (bin.count == 0) continue;
    const double count = static_cast<double>(bin.count);
    bin.mean_confidence = confidence_sum[b] / count;
    bin.accuracy = static_cast<double>(correct[b]) / count;
    ece += count / static_cast<double>(c.judged) * std::fabs(bin.accuracy - bin.mean_confidence);
  }
  c.ece = ece;
  return c;
}

nlohmann::json Calibration::ToJson() const {
  using json = nlohmann::json;
  json out_bins = json::array();
  for (const ReliabilityBin& b : bins) {
    out_bins.push_back({{"low", b.low},
                        {"high", b.high},
                        {"count", b.count},
                        {"mean_confidence", b.count == 0 ? json(nullptr) : json(b.mean_confidence)},
                        {"accuracy", b.count == 0 ? json(nullptr) : json(b.accuracy)}});
  }
  return {{"ece", judged == 0 ? json(nullptr) : json(ece)}, {"judged", judged}, {"bins", out_bins}};
}

}  // namespace kaizen::report
