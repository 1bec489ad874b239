// RulePlanner, strategy human_demonstrations: ask people (attached
// `kaizen feedback` agents) for planning.human_labels labels on the inputs
// datagen selects, failures first. Labels cost no money; a plan asking for
// more than auto_approve.max_teacher_calls labels waits for an approval.
#include <algorithm>

#include <spdlog/fmt/fmt.h>

#include "agents/planning/rule_planner.h"

namespace kaizen::agents {

Result<v1::Plan> RulePlanner::HumanPlan(const v1::PlanRequest& request) const {
  const int attempt = std::max(1, request.attempt());
  const bool replan = attempt >= 2;
  if (Status s = CheckReplansLeft(request); !s.ok()) return s;
  const int max_replans = planning_.max_replans;
  int64_t labels = planning_.human_labels;
  if (labels < 1) return Status::FailedPrecondition("planning.human_labels is 0: the plan would ask people for nothing");

  v1::Plan plan;
  plan.set_strategy("human_demonstrations");
  plan.set_teacher("human");
  // People's labels cost no money: the range's min is always affordable.
  if (Status s = ClampCalls(&plan, &labels, INT32_MAX, "no more can be asked"); !s.ok()) return s;
  plan.set_teacher_calls(static_cast<int32_t>(std::min<int64_t>(labels, INT32_MAX)));
  plan.set_max_cost(0);
  (*plan.mutable_parameters())["teacher_calls"] = static_cast<double>(plan.teacher_calls());
  SetTrainingBounds(&plan);
  Score(&plan);
  plan.mutable_acceptance()->set_min_accuracy_gain(planning_.min_accuracy_gain);
  plan.mutable_acceptance()->set_max_category_regression(planning_.max_category_regression);

  std::vector<std::string> focus = FocusOf(request.trigger().diagnosis(), kMaxFocus);
  if (focus.empty() && replan) focus.assign(request.last_plan().focus().begin(), request.last_plan().focus().end());
  for (const auto& f : focus) plan.add_focus(f);
  std::string where;
  for (const auto& f : focus) where += (where.empty() ? ", worst in " : ", ") + f;

  if (!replan) {
    plan.set_selection_policy("failures_first");
    const v1::Trigger& t = request.trigger();
    std::string why = t.reason().empty() ? "the " + (t.policy().empty() ? std::string("improvement") : t.policy()) +
                                               " trigger fired"
                                         : t.reason();
    plan.set_rationale(fmt::format("Because {}{}, ask people for {} labels on recent failures first.", why, where,
                                   labels));
  } else {
    const auto& policies = SelectionPolicies();
    auto it = std::find(policies.begin(), policies.end(), request.last_plan().selection_policy());
    std::size_t next = it == policies.end() ? 1 : (static_cast<std::size_t>(it - policies.begin()) + 1) % policies.size();
    plan.set_selection_policy(policies[next]);
    plan.set_rationale(fmt::format("Replan {} of {}: the last candidate was rejected ({}), so ask people for {} labels "
                                   "on inputs selected by {}.",
                                   attempt - 1, max_replans,
                                   request.last_report().verdict().empty() ? std::string("it did not pass evaluation")
                                                                           : request.last_report().verdict(),
                                   labels, policies[next]));
  }
  if (Status s = safety::CheckParameters(planning_.bounds,
                                         {plan.parameters().begin(), plan.parameters().end()}, "the plan");
      !s.ok()) {
    return s;
  }
  return plan;
}

}  // namespace kaizen::agents
