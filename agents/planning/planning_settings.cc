#include "agents/planning/planning_settings.h"

#include "config/manifest_schema.h"

namespace kaizen::agents {
namespace {

using json = nlohmann::json;

constexpr const char* kSection = "spec.planning";

json Setting(const json& section, const char* key) { return config::SettingOrDefault(section, kSection, key); }

// A key of a nested object (auto_approve, teacher_budget, acceptance): the
// object may be left out, or set with only some of its keys.
json Nested(const json& section, const char* object, const char* key) {
  return config::SettingOrDefault(Setting(section, object), std::string(kSection) + "." + object, key);
}

}  // namespace

const char* PlanningSettings::Name(Backend backend) { return backend == Backend::kOpenAi ? "openai" : "rules"; }

PlanningSettings PlanningSettings::FromAgentSettings(const json& settings) {
  PlanningSettings p;
  // The loader refuses a name the schema does not list.
  p.backend = Setting(settings, "backend").get<std::string>() == "openai" ? Backend::kOpenAi : Backend::kRules;
  p.max_replans = Setting(settings, "max_replans").get<int>();
  p.strategies = Setting(settings, "strategies").get<std::vector<std::string>>();
  p.selection_policy = Setting(settings, "selection_policy").get<std::string>();
  p.human_labels = Setting(settings, "human_labels").get<int64_t>();
  p.auto_approve_max_teacher_calls = Nested(settings, "auto_approve", "max_teacher_calls").get<int64_t>();
  p.auto_approve_max_cost = Nested(settings, "auto_approve", "max_cost").get<double>();
  p.approval = safety::ApprovalLimits::FromPlanning(settings.is_object() ? settings : json::object());
  p.budget_max_calls = Nested(settings, "teacher_budget", "max_calls").get<int64_t>();
  p.budget_max_cost = Nested(settings, "teacher_budget", "max_cost").get<double>();
  p.min_accuracy_gain = Nested(settings, "acceptance", "min_accuracy_gain").get<double>();
  p.max_category_regression = Nested(settings, "acceptance", "max_category_regression").get<double>();
  p.bounds = safety::ChangeBounds::FromPlanning(settings.is_object() ? settings : json::object());
  const json cluster = settings.is_object() ? settings.value("cluster", json::object()) : json::object();
  const json training = cluster.is_object() ? cluster.value("spec", json::object()).value("training", json::object())
                                            : json::object();
  auto train = [&](const char* key) { return config::SettingOrDefault(training, "spec.training", key); };
  p.training_backend = train("backend").get<std::string>();
  p.replay_fraction = train("replay_fraction").get<double>();
  if (p.training_backend == "prompt") {
    const json prompt = train("prompt");
    for (const char* knob : {"shots", "rewrites"}) {
      p.training_parameters[knob] = config::SettingOrDefault(prompt, "spec.training.prompt", knob).get<double>();
    }
  } else {
    p.training_parameters["epochs"] = train("epochs").get<double>();
    p.training_parameters["replay_fraction"] = p.replay_fraction;
  }
  return p;
}

}  // namespace kaizen::agents
