#include "runtime/controller/candidate_bounds.h"

#include <map>
#include <optional>

#include <nlohmann/json.hpp>

#include "runtime/safety/prompt_change.h"

namespace kaizen::controller {
namespace {

using json = nlohmann::json;

constexpr double kEps = 1e-9;

}  // namespace

Status CheckPlanBounds(const safety::ChangeBounds& bounds, const v1::Plan& plan, const std::string& training_backend) {
  if (Status s = safety::CheckStrategy(bounds, plan.strategy(), training_backend); !s.ok()) return s;
  if (plan.has_max_prompt_change() && bounds.max_prompt_change &&
      plan.max_prompt_change() > *bounds.max_prompt_change + kEps) {
    return Status::FailedPrecondition("it may change " + safety::NumberText(plan.max_prompt_change()) +
                                      " of the prompt, and spec.planning.bounds.max_prompt_change is " +
                                      safety::NumberText(*bounds.max_prompt_change));
  }
  const std::map<std::string, double> parameters(plan.parameters().begin(), plan.parameters().end());
  return safety::CheckParameters(bounds, parameters, "the plan");
}

CandidateBounds CheckCandidateBounds(const safety::ChangeBounds& bounds, const std::string& candidate_uri,
                                     const std::string& metrics_json, const cycle::ModelRef& replaced,
                                     const cycle::ModelRef& anchor) {
  CandidateBounds out;
  const json metrics = json::parse(metrics_json.empty() ? "{}" : metrics_json, nullptr, false);
  if (metrics.is_object() && metrics.contains("parameters") && metrics["parameters"].is_object()) {
    std::map<std::string, double> parameters;
    for (const auto& [knob, v] : metrics["parameters"].items()) {
      if (v.is_number()) parameters[knob] = v.get<double>();
    }
    out.status = safety::CheckParameters(bounds, parameters, "its trainer");
    if (!out.status.ok()) return out;
  }
  if (!bounds.max_prompt_change && !bounds.max_drift_from_anchor) return out;
  auto candidate = safety::ReadPromptText(candidate_uri);
  if (!candidate.ok()) {
    out.status = candidate.status().WithContext("measuring the candidate's prompt");
    return out;
  }
  if (!*candidate) return out;  // not a prompt model: the prompt bounds do not apply
  auto read = [](const cycle::ModelRef& m) -> Result<safety::PromptBase> {
    auto text = safety::ReadPromptText(m.uri);
    if (!text.ok()) return text.status().WithContext("measuring the prompt of " + m.version);
    if (!*text) return Status::FailedPrecondition(m.version + " is not a prompt model; the candidate is");
    return safety::PromptBase{m.version, **text};
  };
  auto base = read(replaced);
  if (!base.ok()) {
    out.status = base.status();
    return out;
  }
  std::optional<safety::PromptBase> anchor_prompt;
  if (bounds.max_drift_from_anchor && !anchor.empty()) {
    auto a = read(anchor);
    if (!a.ok()) {
      out.status = a.status();
      return out;
    }
    anchor_prompt = *a;
  }
  const safety::PromptChange measured = safety::MeasurePromptChange(**candidate, *base, anchor_prompt);
  out.measured = measured.Describe(bounds, *base, anchor_prompt);
  out.status = safety::CheckPromptChange(bounds, measured, *base, anchor_prompt);
  return out;
}

}  // namespace kaizen::controller
