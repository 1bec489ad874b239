#include "agents/planning/rule_planner.h"

#include <algorithm>
#include <cmath>

#include <spdlog/fmt/fmt.h>

#include "agents/stats/proportion.h"

namespace kaizen::agents {
namespace {

using json = nlohmann::json;

// Money compared with a little slack: 2000 * 0.0025 must not exceed 5.0.
constexpr double kEps = 1e-9;

std::string Percent(double rate) { return fmt::format("{:.0f}%", rate * 100.0); }

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

std::string Money(double v) { return fmt::format("${:.2f}", v); }

}  // namespace

const json& RulePlanner::Section(const json& j, const char* key) {
  static const json empty = json::object();
  auto it = j.find(key);
  return it != j.end() && it->is_object() ? *it : empty;
}

Status RulePlanner::CheckReplansLeft(const v1::PlanRequest& request) const {
  const int attempt = std::max(1, request.attempt());
  const int max_replans = planning_.max_replans;
  if (attempt >= 2 && attempt - 1 > max_replans) {
    return Status::FailedPrecondition(fmt::format("replans exhausted: attempt {} would be replan {} but max_replans is {}",
                                                  attempt, attempt - 1, max_replans));
  }
  return Status::OK();
}

const std::vector<std::string>& RulePlanner::SelectionPolicies() {
  static const std::vector<std::string> p = {"failures_first", "low_confidence_stratified", "random"};
  return p;
}

std::vector<std::string> RulePlanner::FocusOf(const v1::Diagnosis& diagnosis, std::size_t max) {
  std::vector<std::pair<double, std::string>> rises;
  for (const auto& c : diagnosis.categories()) {
    double rise = c.recent() - c.baseline();
    if (rise <= 0 || c.value().empty()) continue;
    std::string dim = c.dimension().empty() ? "domain" : c.dimension();
    rises.emplace_back(rise, dim + "=" + c.value());
  }
  // Largest rise first; ties in the diagnosis' own order (stable).
  std::stable_sort(rises.begin(), rises.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<std::string> out;
  for (const auto& [rise, name] : rises) {
    if (out.size() >= max) break;
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
  }
  return out;
}

std::string RulePlanner::PersistentFailure(const v1::Diagnosis& diagnosis) {
  std::string worst;
  double worst_low = 0;
  for (const auto& c : diagnosis.categories()) {
    if (c.value().empty() || c.samples() < kToolFailureSamples) continue;
    const auto downs = static_cast<int64_t>(std::llround(c.recent() * static_cast<double>(c.samples())));
    const double low = stats::WilsonInterval(downs, c.samples(), 0.95).low;
    if (low >= kToolFailureRate && low > worst_low) {
      worst_low = low;
      worst = (c.dimension().empty() ? "domain" : c.dimension()) + "=" + c.value();
    }
  }
  return worst;
}

void RulePlanner::Price(v1::Plan* plan, int64_t calls) const {
  const json teachers = Section(Section(settings_, "cluster"), "spec").value("teachers", json::array());
  const double cost_per_call =
      teachers.is_array() && !teachers.empty() ? teachers[0].value("cost_per_call", 0.001) : 0.0;
  const double cost = static_cast<double>(calls) * cost_per_call;
  plan->set_teacher_calls(static_cast<int32_t>(std::min<int64_t>(calls, INT32_MAX)));
  plan->set_max_cost(cost);
  (*plan->mutable_parameters())["teacher_calls"] = static_cast<double>(plan->teacher_calls());
  Score(plan);
}

void RulePlanner::Score(v1::Plan* plan) const {
  const safety::Significance s =
      safety::ScorePlan(*plan, planning_.approval, planning_.training_backend, planning_.replay_fraction);
  plan->set_significance(s.score);
  plan->set_significance_why(s.why);
  plan->set_needs_approval(safety::NeedsApproval(s, planning_.approval));
}

void RulePlanner::SetTrainingBounds(v1::Plan* plan) const {
  for (const auto& [knob, value] : planning_.training_parameters) (*plan->mutable_parameters())[knob] = value;
  if (safety::ChangesPrompt(plan->strategy(), planning_.training_backend) && planning_.bounds.max_prompt_change) plan->set_max_prompt_change(*planning_.bounds.max_prompt_change);
}

Status RulePlanner::ClampCalls(v1::Plan* plan, int64_t* calls, int64_t affordable, const std::string& budget) const {
  const auto it = planning_.bounds.parameter_ranges.find("teacher_calls");
  if (it == planning_.bounds.parameter_ranges.end()) return Status::OK();
  const safety::ParameterRange& range = it->second;
  const std::string key = "spec.planning.bounds.parameter_ranges.teacher_calls";
  if (range.max && static_cast<double>(*calls) > *range.max) {
    const auto most = static_cast<int64_t>(std::floor(*range.max + kEps));
    if (most < 1) {
      return Status::FailedPrecondition(fmt::format("{} {} allows no teacher call", key, safety::RangeText(range)));
    }
    plan->add_bound_actions(fmt::format("teacher calls cut {} -> {} by {}", *calls, most, key));
    *calls = most;
  }
  if (range.min && static_cast<double>(*calls) < *range.min) {
    const auto least = static_cast<int64_t>(std::ceil(*range.min - kEps));
    if (least > affordable) {
      return Status::FailedPrecondition(fmt::format("{}.min is {} but {}: lower the min or raise the budget", key,
                                                    least, budget));
    }
    plan->add_bound_actions(fmt::format("teacher calls raised {} -> {} by {}", *calls, least, key));
    *calls = least;
  }
  return Status::OK();
}

Result<v1::Plan> RulePlanner::MakePlan(const v1::PlanRequest& request) const {
  const std::vector<std::string>& strategies = planning_.strategies;
  // The first strategy of the list that this planner implements and the
  // bounds allow: the list's order is the preference.
  std::string strategy, out_of_bounds, tool_category, passed_over;
  for (const auto& s : strategies) {
    if (s != "teacher_samples" && s != "human_demonstrations" && s != "tool_creation" && s != "dynamic_examples" &&
        s != "reflection") {
      continue;
    }
    if (Status b = safety::CheckStrategy(planning_.bounds, s, planning_.training_backend); !b.ok()) {
      out_of_bounds += (out_of_bounds.empty() ? "" : "; ") + b.message();
      continue;
    }
    if ((s == "dynamic_examples" || s == "reflection") && planning_.training_backend != "prompt") {
      // Retrieved examples and lessons go into an LLM's prompt; a classifier has none.
      passed_over += std::string(passed_over.empty() ? "" : "; ") + s +
                     " passed over: the worker is not an LLM (training.backend is not prompt)";
      continue;
    }
    if (s == "tool_creation") {
      // Only for an LLM worker, and only where the diagnosis shows a category
      // it keeps failing: a tool is a new capability, not a tune-up.
      tool_category = planning_.training_backend == "prompt" ? PersistentFailure(request.trigger().diagnosis()) : "";
      if (tool_category.empty()) {
        passed_over += std::string(passed_over.empty() ? "" : "; ") +
                       (planning_.training_backend == "prompt"
                          ? "tool_creation passed over: no category is failed on at least " +
                                Percent(kToolFailureRate) + " of its answers (95% confidence, " +
                                std::to_string(kToolFailureSamples) + "+ ratings)"
                          : "tool_creation passed over: the worker is not an LLM (training.backend is not prompt)");
        continue;
      }
    }
    strategy = s;
    break;
  }
  if (strategy.empty() && !out_of_bounds.empty()) {
    return Status::FailedPrecondition("no strategy within the bounds: " + out_of_bounds);
  }
  if (strategy.empty()) {
    return Status::FailedPrecondition(
        "no strategy available: the rule planner implements teacher_samples, human_demonstrations, "
        "dynamic_examples, reflection and tool_creation, and spec.planning.strategies allows none of them" + (passed_over.empty() ? "" : " (" + passed_over + ")"));
  }
  if (strategy == "human_demonstrations") return HumanPlan(request);

  const json& spec = Section(Section(settings_, "cluster"), "spec");
  const json teachers = spec.value("teachers", json::array());
  if (!teachers.is_array() || teachers.empty()) {
    return Status::FailedPrecondition("no teacher configured: add one to spec.teachers so the planner can buy labels");
  }
  const json& teacher = teachers[0];
  const std::string teacher_name = teacher.value("name", "teacher");
  const double cost_per_call = teacher.value("cost_per_call", 0.001);

  const int attempt = std::max(1, request.attempt());
  const bool replan = attempt >= 2;
  if (Status s = CheckReplansLeft(request); !s.ok()) return s;
  const int max_replans = planning_.max_replans;

  // The budget is per cycle: what earlier attempts spent is gone.
  const int64_t max_calls = planning_.budget_max_calls - request.teacher_calls_spent();
  const double max_cost = planning_.budget_max_cost - request.teacher_cost_spent();
  if (max_calls < 1 || max_cost <= kEps) {
    return Status::FailedPrecondition(fmt::format(
        "the cycle's teacher budget is spent: {} calls ({}) used of teacher_budget.max_calls {} / max_cost {}",
        request.teacher_calls_spent(), Money(request.teacher_cost_spent()), planning_.budget_max_calls,
        Money(planning_.budget_max_cost)));
  }

  v1::Plan plan;
  // teacher_samples, dynamic_examples, reflection, tool_creation: all buy the teacher's answers first.
  plan.set_strategy(strategy);
  plan.set_teacher(teacher_name);
  if (!passed_over.empty()) plan.add_bound_actions(passed_over);

  // Calls wanted: the budget on a first plan; on a replan more data than the
  // last attempt had, since its candidate was not good enough.
  int64_t calls = max_calls;
  if (replan && request.last_plan().teacher_calls() > 0) calls = int64_t{2} * request.last_plan().teacher_calls();

  if (calls > max_calls) {
    plan.add_bound_actions(fmt::format("teacher calls cut {} -> {} by teacher_budget.max_calls{}", calls, max_calls,
                                       request.teacher_calls_spent() > 0 ? " (what is left of it this cycle)" : ""));
    calls = max_calls;
  }
  if (cost_per_call > 0 && static_cast<double>(calls) * cost_per_call > max_cost + kEps) {
    int64_t affordable = static_cast<int64_t>(std::floor(max_cost / cost_per_call + kEps));
    plan.add_bound_actions(fmt::format("teacher calls cut {} -> {} by teacher_budget.max_cost ({} at {} per call)", calls,
                                       affordable, Money(max_cost), fmt::format("${:.4g}", cost_per_call)));
    calls = affordable;
  }
  if (calls < 1) {
    return Status::FailedPrecondition(fmt::format(
        "the teacher budget allows no call to {} (max_calls {}, max_cost {}, cost_per_call {})", teacher_name,
        max_calls, Money(max_cost), cost_per_call));
  }
  const int64_t affordable =
      cost_per_call > 0 ? std::min(max_calls, static_cast<int64_t>(std::floor(max_cost / cost_per_call + kEps)))
                        : max_calls;
  if (Status s = ClampCalls(&plan, &calls, affordable,
                            fmt::format("the cycle's teacher budget allows {} calls (teacher_budget.max_calls {}, "
                                        "max_cost {} at {} per call{})",
                                        affordable, planning_.budget_max_calls, Money(planning_.budget_max_cost),
                                        fmt::format("${:.4g}", cost_per_call),
                                        request.teacher_calls_spent() > 0 ? ", less what this cycle spent" : ""));
      !s.ok()) {
    return s;
  }
  SetTrainingBounds(&plan);
  Price(&plan, calls);
  const double cost = plan.max_cost();

  plan.mutable_acceptance()->set_min_accuracy_gain(planning_.min_accuracy_gain);
  plan.mutable_acceptance()->set_max_category_regression(planning_.max_category_regression);

  const v1::Trigger& trigger = request.trigger();
  std::vector<std::string> focus = FocusOf(trigger.diagnosis(), kMaxFocus);
  if (!tool_category.empty()) focus = {tool_category};  // the tool is written for that category's failures
  if (focus.empty() && replan) {
    focus.assign(request.last_plan().focus().begin(), request.last_plan().focus().end());
  }
  for (const auto& f : focus) plan.add_focus(f);

  const std::string spend = fmt::format("{} teacher calls to {} ({})", calls, teacher_name, Money(cost));
  if (!replan) {
    const std::string& policy = planning_.selection_policy;
    plan.set_selection_policy(policy);
    std::string why = trigger.reason().empty() ? fmt::format("the {} trigger fired", trigger.policy().empty()
                                                                                          ? std::string("improvement")
                                                                                          : trigger.policy())
                                               : trigger.reason();
    std::string rates;
    if (trigger.diagnosis().recent_rate() > 0 || trigger.diagnosis().baseline_rate() > 0) {
      rates = fmt::format(" (thumbs-down rate {} -> {})", Percent(trigger.diagnosis().baseline_rate()),
                          Percent(trigger.diagnosis().recent_rate()));
    }
    std::string where = focus.empty() ? "" : ", worst in " + Join(focus);
    const std::string how = policy == "failures_first" ? "label recent failures first"
                            : policy == "random"       ? "label a random sample of recent inputs"
                                                       : "label the least confident answers first";
    plan.set_rationale(fmt::format("Because {}{}{}, {} with {}{}.", why, rates, where, how, spend,
                                   tool_category.empty() ? ""
                                                         : "; the teacher then writes a tool for " + tool_category +
                                                               ", tested in the sandbox"));
  } else {
    // A different policy from the last attempt's: the same inputs again would
    // likely give the same candidate.
    const auto& policies = SelectionPolicies();
    auto it = std::find(policies.begin(), policies.end(), request.last_plan().selection_policy());
    std::size_t next = it == policies.end() ? 1 : (static_cast<std::size_t>(it - policies.begin()) + 1) % policies.size();
    plan.set_selection_policy(policies[next]);
    const auto& report = request.last_report();
    std::string verdict = report.verdict().empty() ? "it did not pass evaluation" : report.verdict();
    plan.set_rationale(fmt::format("Replan {} of {}: the last candidate was rejected ({}), so select inputs by {} "
                                   "instead of {} with {}.",
                                   attempt - 1, max_replans, verdict, policies[next],
                                   request.last_plan().selection_policy().empty() ? std::string("the last policy")
                                                                                  : request.last_plan().selection_policy(),
                                   spend));
  }
  // The knobs set above were moved into their ranges; a range on a knob the
  // manifest sets (spec.training) was checked at validate.
  if (Status s = safety::CheckParameters(planning_.bounds,
                                         {plan.parameters().begin(), plan.parameters().end()}, "the plan");
      !s.ok()) {
    return s;
  }
  return plan;
}

}  // namespace kaizen::agents
