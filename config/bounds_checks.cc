// CheckBounds (checks.h): spec.planning.bounds against the rest of the
// manifest, with the runtime's own checks (runtime/safety/change_bounds.h),
// so a cluster that could never make a plan within its bounds stops at
// validate instead of at its first trigger.
#include <string>
#include <vector>

#include "config/checks.h"
#include "runtime/safety/change_bounds.h"

namespace kaizen::config {
// Named, not anonymous: the library builds as one unity source, and
// checks.cc has helpers of the same names.
namespace bounds_checks {

using json = nlohmann::json;

const json* KeyAt(const json& doc, std::initializer_list<const char*> keys) {
  const json* cur = &doc;
  for (const char* k : keys) {
    if (!cur->is_object() || !cur->contains(k)) return nullptr;
    cur = &(*cur)[k];
  }
  return cur;
}

std::string Text(const json* j) { return j && j->is_string() ? j->get<std::string>() : ""; }

void Report(const CheckContext& ctx, const std::string& path, const std::string& msg) {
  ctx.validator->Error(ctx.validator->marks().Find(path), path, msg);
}

// The manifest keys each knob of parameter_ranges bounds, and when the
// cluster uses them (a knob the training or worker does not use is not checked).
struct Knob {
  const char* name;
  std::vector<const char*> keys;  // under spec
  bool used;
};

}  // namespace bounds_checks

void CheckBounds(const nlohmann::json& spec, const CheckContext& ctx) {
  using json = nlohmann::json;
  using bounds_checks::Knob;
  using bounds_checks::KeyAt;
  using bounds_checks::Report;
  using bounds_checks::Text;
  Validator& v = *ctx.validator;
  const json* planning = KeyAt(spec, {"planning"});
  if (!planning || !planning->is_object() || v.HasErrorsUnder("spec.planning.bounds")) return;
  const safety::ChangeBounds bounds = safety::ChangeBounds::FromPlanning(*planning);
  const std::string ranges_key = "spec.planning.bounds.parameter_ranges";

  bool ranges_ok = true;
  for (const auto& [knob, range] : bounds.parameter_ranges) {
    if (range.min && range.max && *range.min > *range.max) {
      Report(ctx, ranges_key + "." + knob,
          "expected min <= max, found min " + safety::NumberText(*range.min) + " > max " +
              safety::NumberText(*range.max) + " (no value of " + knob + " would be allowed)");
      ranges_ok = false;
    }
  }

  // At least one strategy of the list within the bounds.
  const std::string backend = Text(KeyAt(spec, {"training", "backend"}));
  if (const json* strategies = KeyAt(*planning, {"strategies"});
      strategies && strategies->is_array() && !backend.empty() && !v.HasErrorsUnder("spec.planning.strategies") &&
      !v.HasErrorsUnder("spec.training.backend")) {
    std::string why;
    bool any = false;
    for (const json& s : *strategies) {
      if (!s.is_string()) continue;
      Status ok = safety::CheckStrategy(bounds, s.get<std::string>(), backend);
      any = any || ok.ok();
      if (!ok.ok()) why += (why.empty() ? "" : "; ") + ok.message();
    }
    if (!any && !why.empty())
      Report(ctx, "spec.planning.strategies",
          "no strategy of the list is within spec.planning.bounds, so no plan could be made: " + why);
  }
  if (!ranges_ok) return;

  // Knobs the manifest sets, against their ranges.
  const std::string skill_backend = Text(KeyAt(spec, {"worker", "skill", "backend"}));
  const bool prompt = backend == "prompt";
  bool dynamic_examples = false;  // its k (retrieved_examples) is reported as shots
  if (const json* strategies = KeyAt(*planning, {"strategies"}); strategies && strategies->is_array()) {
    for (const json& s : *strategies) dynamic_examples = dynamic_examples || (s.is_string() && s == "dynamic_examples");
  }
  const std::vector<Knob> knobs = {
      {"epochs", {"training", "epochs"}, !prompt},
      {"replay_fraction", {"training", "replay_fraction"}, !prompt},
      {"shots", {"training", "prompt", "shots"}, prompt},
      {"shots", {"training", "prompt", "retrieved_examples"}, prompt && dynamic_examples},
      {"rewrites", {"training", "prompt", "rewrites"}, prompt},
      {"temperature", {"worker", "skill", "openai", "temperature"}, skill_backend == "openai"},
  };
  for (const Knob& k : knobs) {
    auto range = bounds.parameter_ranges.find(k.name);
    if (!k.used || range == bounds.parameter_ranges.end()) continue;
    std::string key = "spec";
    const json* value = &spec;
    for (const char* part : k.keys) {
      key += std::string(".") + part;
      value = value ? KeyAt(*value, {part}) : nullptr;
    }
    if (!value || !value->is_number() || v.HasErrorsUnder(key)) continue;
    const double x = value->get<double>();
    if (safety::InRange(range->second, x)) continue;
    const std::string where = ranges_key + "." + k.name + " " + safety::RangeText(range->second);
    if (v.marks().Has(key)) {
      Report(ctx, key, "expected a value within " + where + ", found " + safety::NumberText(x));
    } else {  // the schema's default: blame the range, which is what was written
      Report(ctx, ranges_key + "." + k.name,
          key + " is " + safety::NumberText(x) + " (its default), outside this range " +
              safety::RangeText(range->second) + "; set " + key + " within it");
    }
  }

  // A budget below the least teacher calls a plan may have: no plan could be
  // made. Above the greatest is fine: the planner cuts the plan to it.
  auto calls = bounds.parameter_ranges.find("teacher_calls");
  const json* max_calls = KeyAt(*planning, {"teacher_budget", "max_calls"});
  if (calls != bounds.parameter_ranges.end() && calls->second.min && max_calls && max_calls->is_number() &&
      !v.HasErrorsUnder("spec.planning.teacher_budget") && max_calls->get<double>() < *calls->second.min) {
    const std::string key = "spec.planning.teacher_budget.max_calls";
    Report(ctx, v.marks().Has(key) ? key : ranges_key + ".teacher_calls.min",
        "teacher_budget.max_calls " + safety::NumberText(max_calls->get<double>()) + " is below " + ranges_key +
            ".teacher_calls.min " + safety::NumberText(*calls->second.min) +
            ": no plan could buy enough teacher calls");
  }
}

}  // namespace kaizen::config
