// ChangeBounds: what the manifest lets Kaizen change about its serving agent
// (spec.planning.bounds), checked by planning before it makes a plan and
// again by the runtime's cycle controller on the plan it receives and on
// every trigger, so a planner that errs (an LLM planner, a bug) cannot take
// the cluster past them. Each check returns OK, or FailedPrecondition whose
// message names the bound, its value and what would cross it.
//
// A strategy modifies parts of the serving agent: a classifier's weights, an
// LLM prompt's instructions or examples, its tools (tool_creation) or its
// memory (reflection); no strategy changes the base model yet. prohibited_modifications forbids parts; allowed_strategies
// lists strategies outright.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/base/status.h"

namespace kaizen::safety {

// An inclusive range of one knob; an unset end is open.
struct ParameterRange {
  std::optional<double> min, max;
};

struct ChangeBounds {
  std::vector<std::string> allowed_strategies;
  std::vector<std::string> prohibited_modifications;
  int64_t max_cycles_per_day = 0;  // cycles started in any 24 hours; 0: no limit
  // Shares of a prompt (ChangeShare, token_edit_distance.h); unset: no limit.
  std::optional<double> max_prompt_change;      // against the version a candidate replaces
  std::optional<double> max_drift_from_anchor;  // against the anchor version
  std::map<std::string, ParameterRange> parameter_ranges;  // knob -> range (teacher_calls, epochs, shots, ...)

  // From spec.planning.bounds (as the loader filled it; keys left out read
  // as the schema's defaults).
  static ChangeBounds FromPlanning(const nlohmann::json& planning_section);
};

// The parts of the serving agent `strategy` changes when training runs with
// `training_backend` (spec.training.backend; a slurm backend trains like
// builtin or command): weights, instructions, examples.
std::vector<std::string> ModificationsOf(const std::string& strategy, const std::string& training_backend);

// Whether `strategy` with `training_backend` changes an LLM prompt (its
// instructions or examples), which the prompt bounds then apply to.
bool ChangesPrompt(const std::string& strategy, const std::string& training_backend);

Status CheckStrategy(const ChangeBounds& bounds, const std::string& strategy, const std::string& training_backend);

// OK when every knob of `parameters` that spec.planning.bounds.parameter_ranges
// names lies in its range (inclusive); knobs without a range, and ranges for
// knobs `parameters` lacks, are not checked. Else FailedPrecondition naming the
// knob, its value and the range, e.g. "the plan sets teacher_calls 3000,
// outside spec.planning.bounds.parameter_ranges.teacher_calls [10, 2000]";
// `whose` says who set it ("the plan").
Status CheckParameters(const ChangeBounds& bounds, const std::map<std::string, double>& parameters,
                       const std::string& whose);

// `value` moved into `range` (unchanged when inside or the range is open there).
double Clamp(const ParameterRange& range, double value);
bool InRange(const ParameterRange& range, double value);
// "[10, 2000]", "(at least 10)", "(at most 2000)" or "(any value)".
std::string RangeText(const ParameterRange& range);
// A knob's value as a person writes it: 3000, 0.5.
std::string NumberText(double value);

// `started_ms`: when earlier cycles started (wall ms); `now_ms` would start one more.
Status CheckCyclesPerDay(const ChangeBounds& bounds, const std::vector<int64_t>& started_ms, int64_t now_ms);

}  // namespace kaizen::safety
