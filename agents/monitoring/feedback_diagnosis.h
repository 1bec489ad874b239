// FeedbackDiagnosis: what degraded. Keeps the thumbs-down rate per category
// (the predicted label, each tag such as domain) in two windows: the recent
// one (the last `recent_window` rated answers) and the baseline (everything
// older since the last Reset). Build() ranks the categories worst first.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "cycle.pb.h"

namespace kaizen::agents {

class FeedbackDiagnosis {
 public:
  // (dimension, value), e.g. ("domain", "banking") or ("predicted_label", "balance").
  using Category = std::pair<std::string, std::string>;

  explicit FeedbackDiagnosis(int64_t recent_window = 300);

  void Add(bool down, std::vector<Category> categories);
  void Reset();

  // Rates are thumbs-down rates. Categories need >= min_samples in the recent
  // window. They are ranked by the rise of a shrunk recent rate,
  //   (downs + k * base) / (n + k) - base,  k = 10,
  // so one unlucky sample does not outrank a large, clear degradation; a
  // category new since the baseline is compared with the overall baseline.
  v1::Diagnosis Build(size_t top = 10, int64_t min_samples = 5) const;

  double baseline_rate() const { return Rate(baseline_total_); }
  double recent_rate() const { return Rate(recent_total_); }
  int64_t baseline_samples() const { return baseline_total_.n; }
  int64_t recent_samples() const { return recent_total_.n; }
  bool recent_full() const { return static_cast<int64_t>(window_.size()) >= recent_window_; }

 private:
  struct Counts {
    int64_t n = 0, downs = 0;
  };
  struct Entry {
    bool down;
    std::vector<Category> categories;
  };
  static double Rate(const Counts& c) { return c.n == 0 ? 0.0 : static_cast<double>(c.downs) / c.n; }

  int64_t recent_window_;
  std::deque<Entry> window_;
  std::map<Category, Counts> recent_, baseline_;
  Counts recent_total_, baseline_total_;
};

}  // namespace kaizen::agents
