// Significance: how big a change a plan is, one score compared with
// spec.planning.auto_approve.max_significance; above it a person approves
// the plan before it starts (docs/safety.md, "Significance").
//
//   score = max(change, spend, capability)
//   change:     a plan that changes a prompt (instructions or examples): the
//               plan's max_prompt_change (at most 1), else 1; one that
//               retrains weights: 1 - replay_fraction (the new share of the
//               training mix);
//   spend:      the larger of teacher_calls / auto_approve.max_teacher_calls
//               and max_cost / auto_approve.max_cost (a limit of 0 with
//               something to spend: infinity, so the plan always needs a person);
//   capability: 1 when the strategy changes tools, memory or the base model, else 0.
//
// Change and capability are at most 1, so with the default max_significance
// of 1 a plan needs a person exactly when it spends past auto_approve.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "cycle.pb.h"

namespace kaizen::safety {

struct ApprovalLimits {
  int64_t max_teacher_calls = 0;
  double max_cost = 0;
  double max_significance = 1;
  // From spec.planning.auto_approve (keys left out read as the schema's defaults).
  static ApprovalLimits FromPlanning(const nlohmann::json& planning_section);
};

struct Significance {
  double score = 0;
  // Its parts, e.g. "change 0.30 (max_prompt_change), spend 0.45 (1350 of 3000
  // auto-approved calls), new capabilities none".
  std::string why;
};

Significance ScorePlan(const v1::Plan& plan, const ApprovalLimits& limits, const std::string& training_backend,
                       double replay_fraction);

// score > limits.max_significance (with a little slack for rounding).
bool NeedsApproval(const Significance& significance, const ApprovalLimits& limits);

}  // namespace kaizen::safety
