#include "runtime/safety/change_bounds.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "config/manifest_schema.h"

namespace kaizen::safety {
namespace {

constexpr int64_t kDayMs = 24LL * 3600 * 1000;
// Knob values compared with a little slack: 0.1 + 0.2 is within [0, 0.3].
constexpr double kSlack = 1e-9;

bool Contains(const std::vector<std::string>& list, const std::string& x) {
  return std::find(list.begin(), list.end(), x) != list.end();
}

std::string Joined(const std::vector<std::string>& list) {
  std::string s;
  for (const auto& x : list) s += (s.empty() ? "" : ", ") + x;
  return s.empty() ? "none" : s;
}

}  // namespace

ChangeBounds ChangeBounds::FromPlanning(const nlohmann::json& planning_section) {
  const nlohmann::json bounds = config::SettingOrDefault(planning_section, "spec.planning", "bounds");
  auto key = [&](const char* name) { return config::SettingOrDefault(bounds, "spec.planning.bounds", name); };
  ChangeBounds b;
  b.allowed_strategies = key("allowed_strategies").get<std::vector<std::string>>();
  b.prohibited_modifications = key("prohibited_modifications").get<std::vector<std::string>>();
  b.max_cycles_per_day = key("max_cycles_per_day").get<int64_t>();
  if (bounds.contains("max_prompt_change")) b.max_prompt_change = bounds["max_prompt_change"].get<double>();
  if (bounds.contains("max_drift_from_anchor")) b.max_drift_from_anchor = bounds["max_drift_from_anchor"].get<double>();
  // A local: items() of a temporary would outlive the object it walks.
  const nlohmann::json ranges = key("parameter_ranges");
  for (const auto& [knob, range] : ranges.items()) {
    ParameterRange r;
    if (range.contains("min")) r.min = range["min"].get<double>();
    if (range.contains("max")) r.max = range["max"].get<double>();
    b.parameter_ranges[knob] = r;
  }
  return b;
}

std::vector<std::string> ModificationsOf(const std::string& strategy, const std::string& training_backend) {
  if (strategy == "few_shot") return {"examples"};
  if (strategy == "tool_creation") return {"tools"};  // the prompt stays; a tool is offered beside it
  // Both may add the labels the new data shows to the label list.
  if (strategy == "dynamic_examples") return {"examples"};  // retrieved per input from a pool
  if (strategy == "reflection") return {"memory"};          // lessons retrieved into the system prompt
  if (strategy == "prompt_optimization" || training_backend == "prompt") return {"instructions", "examples"};
  return {"weights"};  // teacher_samples, human_demonstrations: a classifier retrained on new labels
}

bool ChangesPrompt(const std::string& strategy, const std::string& training_backend) {
  const std::vector<std::string> parts = ModificationsOf(strategy, training_backend);
  return Contains(parts, "instructions") || Contains(parts, "examples");
}

Status CheckStrategy(const ChangeBounds& bounds, const std::string& strategy, const std::string& training_backend) {
  if (!Contains(bounds.allowed_strategies, strategy)) {
    return Status::FailedPrecondition("strategy " + strategy + " is not in spec.planning.bounds.allowed_strategies (" +
                                      Joined(bounds.allowed_strategies) + ")");
  }
  for (const auto& part : ModificationsOf(strategy, training_backend)) {
    if (Contains(bounds.prohibited_modifications, part)) {
      return Status::FailedPrecondition("strategy " + strategy + " (training backend " + training_backend +
                                        ") changes the " + part +
                                        ", which spec.planning.bounds.prohibited_modifications forbids");
    }
  }
  return Status::OK();
}

std::string NumberText(double value) {
  if (std::isfinite(value) && value == std::floor(value) && std::fabs(value) < 1e15) {
    return std::to_string(static_cast<int64_t>(value));
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", value);
  return buf;
}

std::string RangeText(const ParameterRange& range) {
  if (range.min && range.max) return "[" + NumberText(*range.min) + ", " + NumberText(*range.max) + "]";
  if (range.min) return "(at least " + NumberText(*range.min) + ")";
  if (range.max) return "(at most " + NumberText(*range.max) + ")";
  return "(any value)";
}

bool InRange(const ParameterRange& range, double value) {
  const double slack = kSlack * std::max(1.0, std::fabs(value));
  return !(range.min && value < *range.min - slack) && !(range.max && value > *range.max + slack);
}

double Clamp(const ParameterRange& range, double value) {
  if (range.max && value > *range.max) value = *range.max;
  if (range.min && value < *range.min) value = *range.min;
  return value;
}

Status CheckParameters(const ChangeBounds& bounds, const std::map<std::string, double>& parameters,
                       const std::string& whose) {
  for (const auto& [knob, value] : parameters) {
    auto range = bounds.parameter_ranges.find(knob);
    if (range == bounds.parameter_ranges.end() || InRange(range->second, value)) continue;
    return Status::FailedPrecondition(whose + " sets " + knob + " " + NumberText(value) +
                                      ", outside spec.planning.bounds.parameter_ranges." + knob + " " +
                                      RangeText(range->second));
  }
  return Status::OK();
}

Status CheckCyclesPerDay(const ChangeBounds& bounds, const std::vector<int64_t>& started_ms, int64_t now_ms) {
  if (bounds.max_cycles_per_day <= 0) return Status::OK();
  std::vector<int64_t> recent;
  for (int64_t t : started_ms) {
    if (t > now_ms - kDayMs) recent.push_back(t);
  }
  if (static_cast<int64_t>(recent.size()) < bounds.max_cycles_per_day) return Status::OK();
  std::sort(recent.begin(), recent.end());
  // The oldest that must leave the 24-hour window before another may start.
  const int64_t frees_at = recent[recent.size() - static_cast<std::size_t>(bounds.max_cycles_per_day)] + kDayMs;
  return Status::FailedPrecondition(std::to_string(recent.size()) +
                                    " cycles started in the last 24 hours and spec.planning.bounds.max_cycles_per_day "
                                    "is " + std::to_string(bounds.max_cycles_per_day) + "; the next may start in " +
                                    std::to_string((frees_at - now_ms + 59999) / 60000) + " min");
}

}  // namespace kaizen::safety
