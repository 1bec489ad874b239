// RulePlanner: the planning agent's decisions, as a pure function of a plan
// request and the planning settings (the manifest's spec.planning with
// defaults, plus settings["cluster"]["spec"] for the teachers). No I/O, so
// every rule is unit-tested; the agent only moves messages.
//
// Rules (docs/cycle-agents-data.md):
//   - strategy: the first of spec.planning.strategies it implements and
//     that applies; teacher_samples from the first teacher of spec.teachers;
//     dynamic_examples and reflection (an LLM worker only) and tool_creation
//     (PersistentFailure) buy the teacher's answers the same way; or
//     human_demonstrations: planning.human_labels labels asked of people
//     (human_plan.cc), needing approval above auto_approve.max_teacher_calls;
//   - calls wanted: teacher_budget.max_calls on attempt 1, twice the last
//     plan's calls on a replan; then cut by teacher_budget.max_calls and by
//     teacher_budget.max_cost / cost_per_call, then moved into
//     bounds.parameter_ranges.teacher_calls, each cut recorded in
//     bound_actions;
//   - parameters: teacher_calls and the knobs the cycle's training uses;
//     max_prompt_change: bounds.max_prompt_change when the plan changes a prompt;
//   - needs_approval when the plan's significance (runtime/safety/significance.h)
//     exceeds auto_approve.max_significance: at the default 1, when calls or
//     cost exceed auto_approve;
//   - selection failures_first on attempt 1, then another policy per replan;
//   - focus: the diagnosis categories whose rate rose most.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agents/planning/planning_settings.h"
#include "cycle.pb.h"
#include "runtime/base/result.h"

namespace kaizen::agents {

class RulePlanner {
 public:
  // Policies in the order replans try them.
  static const std::vector<std::string>& SelectionPolicies();
  // At most this many focus categories.
  static constexpr std::size_t kMaxFocus = 3;

  explicit RulePlanner(nlohmann::json settings)
      : settings_(std::move(settings)), planning_(PlanningSettings::FromAgentSettings(settings_)) {}

  // A plan, or why none can be made: FailedPrecondition "no teacher
  // configured", "replans exhausted ...", or a budget that allows no call.
  Result<v1::Plan> MakePlan(const v1::PlanRequest& request) const;

  // Sets teacher_calls (and parameters["teacher_calls"]), max_cost and the
  // significance of a teacher_samples plan for `calls` calls to the first
  // teacher, by the same prices and auto_approve bounds MakePlan uses (the
  // LLM planner re-prices its choice).
  void Price(v1::Plan* plan, int64_t calls) const;

  // Sets significance, significance_why and needs_approval from the plan as
  // it stands (safety::ScorePlan against auto_approve).
  void Score(v1::Plan* plan) const;

  const PlanningSettings& planning() const { return planning_; }

  // "domain=travel" for each category with a positive rise, largest first.
  static std::vector<std::string> FocusOf(const v1::Diagnosis& diagnosis, std::size_t max);

  // tool_creation is planned for a category the worker keeps failing: one
  // whose thumbs-down rate is at least kToolFailureRate with 95% confidence
  // (the Wilson interval's lower end, so 5 downs of 5 ratings qualify and
  // 12 of 20 do not), over at least kToolFailureSamples recent ratings. The
  // worst such by that lower end ("domain=arithmetic"), or "" when none.
  // The interval does the judging: a detector that fires quickly leaves only
  // a few ratings of the new category at the trigger.
  static constexpr double kToolFailureRate = 0.5;
  static constexpr int64_t kToolFailureSamples = 5;
  static std::string PersistentFailure(const v1::Diagnosis& diagnosis);

 private:
  Result<v1::Plan> HumanPlan(const v1::PlanRequest& request) const;
  // The training knobs into plan->parameters, and bounds.max_prompt_change
  // into plan->max_prompt_change when the plan's strategy changes a prompt.
  void SetTrainingBounds(v1::Plan* plan) const;
  // *calls moved into bounds.parameter_ranges.teacher_calls, each move a
  // bound action; FailedPrecondition when its min is above `affordable`
  // (what the budget allows, `budget` saying why) or the range allows no call.
  Status ClampCalls(v1::Plan* plan, int64_t* calls, int64_t affordable, const std::string& budget) const;
  // FailedPrecondition when the request's attempt is past planning.max_replans.
  Status CheckReplansLeft(const v1::PlanRequest& request) const;
  // settings_[key] when it is an object, else an empty object.
  static const nlohmann::json& Section(const nlohmann::json& j, const char* key);
  nlohmann::json settings_;
  PlanningSettings planning_;  // settings_ typed, the schema's defaults filled in
};

}  // namespace kaizen::agents
