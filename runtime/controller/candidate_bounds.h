// The runtime's own check of a plan and of a candidate against
// spec.planning.bounds (docs/safety.md). Planning and training stay within
// the bounds by themselves; the cycle controller checks again what they
// answer, so a planner or a trainer that errs (an LLM planner, a user's
// training command, a bug, an agent of another version) does not get a
// change past them. Each check is OK or FailedPrecondition whose message
// names the bound, its value and what was measured.
#pragma once

#include <string>

#include "cycle.pb.h"
#include "runtime/base/status.h"
#include "runtime/cycle/cycle_record.h"
#include "runtime/safety/change_bounds.h"

namespace kaizen::controller {

// The plan's strategy (allowed, not prohibited), its max_prompt_change (at
// most the bound) and its parameters (within parameter_ranges).
Status CheckPlanBounds(const safety::ChangeBounds& bounds, const v1::Plan& plan, const std::string& training_backend);

struct CandidateBounds {
  Status status;          // OK: within the bounds
  std::string measured;   // what was measured, for the stage reason; "" when nothing applied
};

// A candidate before it is evaluated: for a prompt model, how much of the
// replaced version's prompt it changes and how far it is from the anchor
// (an empty anchor: not measured); the parameters its trainer reports
// (metrics_json "parameters") within parameter_ranges. A model file that
// cannot be read fails the check (a candidate is never let through unmeasured).
CandidateBounds CheckCandidateBounds(const safety::ChangeBounds& bounds, const std::string& candidate_uri,
                                     const std::string& metrics_json, const cycle::ModelRef& replaced,
                                     const cycle::ModelRef& anchor);

}  // namespace kaizen::controller
