// ChangeBounds: what the manifest lets Kaizen change about its serving agent
// (spec.planning.bounds), checked by planning before it makes a plan and
// again by the runtime's cycle controller on the plan it receives and on
// every trigger, so a planner that errs (an LLM planner, a bug) cannot take
// the cluster past them. Each check returns OK, or FailedPrecondition whose
// message names the bound, its value and what would cross it.
//
// A strategy modifies parts of the serving agent: a classifier's weights, an
// LLM prompt's instructions or examples (and, later, its tools, memory or
// base model). prohibited_modifications forbids parts; allowed_strategies
// lists strategies outright.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/base/status.h"

namespace kaizen::safety {

struct ChangeBounds {
  std::vector<std::string> allowed_strategies;
  std::vector<std::string> prohibited_modifications;
  int64_t max_cycles_per_day = 0;  // cycles started in any 24 hours; 0: no limit

  // From spec.planning.bounds (as the loader filled it; keys left out read
  // as the schema's defaults).
  static ChangeBounds FromPlanning(const nlohmann::json& planning_section);
};

// The parts of the serving agent `strategy` changes when training runs with
// `training_backend` (spec.training.backend; a slurm backend trains like
// builtin or command): weights, instructions, examples.
std::vector<std::string> ModificationsOf(const std::string& strategy, const std::string& training_backend);

Status CheckStrategy(const ChangeBounds& bounds, const std::string& strategy, const std::string& training_backend);

// `started_ms`: when earlier cycles started (wall ms); `now_ms` would start one more.
Status CheckCyclesPerDay(const ChangeBounds& bounds, const std::vector<int64_t>& started_ms, int64_t now_ms);

}  // namespace kaizen::safety
