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

}  // namespace kaizen::agents
