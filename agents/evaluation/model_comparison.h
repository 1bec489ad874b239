// CompareModels: scores a candidate against the incumbent on the same
// validation items and decides pass or fail against the plan's acceptance.
//   accuracy + Wilson interval per model (at `confidence`);
//   McNemar's exact p-value on the paired outcomes;
//   per category (the domain, else the true label) accuracy of each model;
//   a regression is a category with >= min_category_samples items where
//   incumbent_acc - candidate_acc > acceptance.max_category_regression and
//   McNemar on the category's pairs is significant at 1 - confidence, Holm-
//   corrected over the categories tested (so 20 categories do not make one
//   false regression in every other evaluation);
//   pass iff candidate_acc - incumbent_acc >= acceptance.min_accuracy_gain
//   and nothing regressed.
#pragma once

#include <string>
#include <vector>

#include "cycle.pb.h"

namespace kaizen::agents {

struct PairedPrediction {
  std::string truth;
  std::string category;   // empty: the truth label is the category
  std::string candidate;  // each model's predicted label
  std::string incumbent;
};

struct ComparisonOptions {
  double confidence = 0.95;
  int64_t min_category_samples = 10;
};

// Fills every EvalReport field, verdict included. `items` must not be empty.
v1::EvalReport CompareModels(const std::vector<PairedPrediction>& items, const v1::Acceptance& acceptance,
                             const ComparisonOptions& options);

// With a refit (report.refit set, refit_accuracy_seen filled): the verdict
// above is the holdout twin's. The refit was trained on the validation rows, so
// it must score at least about as well on them as the holdout model does on
// rows it never saw; if it scores more than kRefitSlack below, the refit went
// wrong and the candidate fails. The verdict says which model is deployed.
inline constexpr double kRefitSlack = 0.02;
void ApplyRefitCheck(v1::EvalReport& report);

}  // namespace kaizen::agents
