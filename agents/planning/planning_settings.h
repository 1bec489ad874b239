// PlanningSettings: the planning agent's manifest section (spec.planning),
// typed, with every default taken from the manifest schema (none written
// here, so a default cannot disagree with the one `kaizen validate` and the
// docs show). The teachers the rule planner prices come from
// settings["cluster"]["spec"], not from this section.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/safety/change_bounds.h"
#include "runtime/safety/significance.h"

namespace kaizen::agents {

struct PlanningSettings {
  enum class Backend { kRules, kOpenAi };
  static const char* Name(Backend backend);

  Backend backend = Backend::kRules;
  int max_replans = 0;                  // new plans after a rejected candidate, at most
  std::vector<std::string> strategies;  // in order of preference
  std::string selection_policy;         // of a first plan
  int64_t human_labels = 0;             // labels a human_demonstrations plan asks for
  int64_t auto_approve_max_teacher_calls = 0;
  double auto_approve_max_cost = 0;
  safety::ApprovalLimits approval;     // auto_approve, max_significance included
  int64_t budget_max_calls = 0;        // teacher_budget.max_calls, per cycle
  double budget_max_cost = 0;          // teacher_budget.max_cost, per cycle
  double min_accuracy_gain = 0;        // acceptance.min_accuracy_gain
  double max_category_regression = 0;  // acceptance.max_category_regression
  safety::ChangeBounds bounds;          // bounds: a plan outside them is not made
  std::string training_backend;         // spec.training.backend (from the cluster spec): what a strategy changes
  double replay_fraction = 0;           // spec.training.replay_fraction: the old share of a retraining's data
  // The knobs the cycle's training will use, from spec.training: epochs and
  // replay_fraction (backends builtin, command, slurm) or shots and rewrites
  // (backend prompt). A plan reports them in its parameters.
  std::map<std::string, double> training_parameters;

  // `settings` is the agent's settings (spec.planning as the loader filled
  // it); a key left out, or a nested object left out, reads as the schema's default.
  static PlanningSettings FromAgentSettings(const nlohmann::json& settings);
};

}  // namespace kaizen::agents
