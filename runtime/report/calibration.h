// Calibration: how well a model's reported confidence matches how often it is
// right. Judged answers go into equal-width confidence bins over [0, 1] (the
// last bin includes 1); the expected calibration error (ECE) is the mean,
// weighted by answers, of |accuracy - mean confidence| over the bins:
//
//   ECE = sum over bins b of (n_b / N) * |acc_b - conf_b|
//
// 0 is perfectly calibrated; 0.2 means the confidence is off by 20 points on
// average. Pure: no I/O.
#pragma once

#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

namespace kaizen::report {

struct JudgedAnswer {
  double confidence = 0;  // the model's own, clamped to [0, 1]; NaN answers are left out
  bool correct = false;
};

struct ReliabilityBin {
  double low = 0, high = 0;    // [low, high), the last bin [low, 1]
  uint64_t count = 0;
  double mean_confidence = 0;  // 0 when count is 0
  double accuracy = 0;         // 0 when count is 0
};

struct Calibration {
  uint64_t judged = 0;  // answers binned
  double ece = 0;       // 0 when judged is 0
  std::vector<ReliabilityBin> bins;

  // {"ece": number | null (nothing judged), "judged",
  //  "bins": [{"low", "high", "count", "mean_confidence" | null, "accuracy" | null}]}
  nlohmann::json ToJson() const;
};

// `bins` below 1 is taken as 1.
Calibration ComputeCalibration(const std::vector<JudgedAnswer>& answers, int bins = 10);

}  // namespace kaizen::report
