#include "runtime/safety/significance.h"

#include <algorithm>
#include <cstdio>
#include <limits>

#include "config/manifest_schema.h"
#include "runtime/safety/change_bounds.h"

namespace kaizen::safety {
namespace {

// Relative slack: 2000 calls at $0.0025 are $5.000000000000001, within $5.
constexpr double kEps = 1e-12;
constexpr double kInf = std::numeric_limits<double>::infinity();

bool Contains(const std::vector<std::string>& list, const char* x) {
  return std::find(list.begin(), list.end(), x) != list.end();
}

std::string Fixed(double v) {
  if (v == kInf) return "inf";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

std::string Money(double v) { return "$" + Fixed(v); }

// `used` against `limit`: 0 when nothing is used, infinity past a limit of 0.
double Share(double used, double limit) {
  if (used <= 0) return 0;
  return limit > 0 ? used / limit : kInf;
}

}  // namespace

ApprovalLimits ApprovalLimits::FromPlanning(const nlohmann::json& planning_section) {
  const nlohmann::json section = planning_section.is_object() ? planning_section : nlohmann::json::object();
  const nlohmann::json auto_approve = config::SettingOrDefault(section, "spec.planning", "auto_approve");
  auto key = [&](const char* name) {
    return config::SettingOrDefault(auto_approve, "spec.planning.auto_approve", name);
  };
  ApprovalLimits l;
  l.max_teacher_calls = key("max_teacher_calls").get<int64_t>();
  l.max_cost = key("max_cost").get<double>();
  l.max_significance = key("max_significance").get<double>();
  return l;
}

Significance ScorePlan(const v1::Plan& plan, const ApprovalLimits& limits, const std::string& training_backend,
                       double replay_fraction) {
  const std::vector<std::string> parts = ModificationsOf(plan.strategy(), training_backend);

  double change = 0;
  std::string change_why;
  if (ChangesPrompt(plan.strategy(), training_backend)) {
    change = plan.has_max_prompt_change() ? std::clamp(plan.max_prompt_change(), 0.0, 1.0) : 1.0;
    change_why = plan.has_max_prompt_change() ? "the plan's max_prompt_change" : "the prompt may change entirely";
  } else if (Contains(parts, "weights")) {
    change = std::clamp(1.0 - replay_fraction, 0.0, 1.0);
    change_why = "new share of the training mix, replay_fraction " + NumberText(replay_fraction);
  }

  const double calls = Share(plan.teacher_calls(), static_cast<double>(limits.max_teacher_calls));
  const double cost = Share(plan.max_cost(), limits.max_cost);
  const double spend = std::max(calls, cost);
  std::string spend_why;
  if (spend == 0) {
    spend_why = "nothing spent";
  } else if (calls >= cost) {
    spend_why = limits.max_teacher_calls > 0
                    ? std::to_string(plan.teacher_calls()) + " of " + std::to_string(limits.max_teacher_calls) +
                          " auto-approved calls"
                    : std::to_string(plan.teacher_calls()) + " calls; auto_approve.max_teacher_calls is 0";
  } else {
    spend_why = limits.max_cost > 0 ? Money(plan.max_cost()) + " of " + Money(limits.max_cost) + " auto-approved cost"
                                    : Money(plan.max_cost()) + "; auto_approve.max_cost is 0";
  }

  std::string added;
  for (const char* part : {"tools", "memory", "base_model"}) {
    if (Contains(parts, part)) added += (added.empty() ? "" : ", ") + std::string(part);
  }
  const double capability = added.empty() ? 0.0 : 1.0;

  Significance s;
  s.score = std::max({change, spend, capability});
  s.why = "change " + Fixed(change) + (change_why.empty() ? "" : " (" + change_why + ")") + ", spend " + Fixed(spend) +
          " (" + spend_why + "), new capabilities " + (added.empty() ? "none" : added);
  return s;
}

bool NeedsApproval(const Significance& significance, const ApprovalLimits& limits) {
  return significance.score > limits.max_significance * (1 + kEps) + kEps;
}

}  // namespace kaizen::safety
