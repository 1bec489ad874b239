#include "agents/worker/worker_settings.h"

#include <string>

#include "config/manifest_schema.h"

namespace kaizen::agents {
using json = nlohmann::json;

const char* WorkerSettings::Name(SkillBackend backend) {
  return backend == SkillBackend::kOpenAi ? "openai" : "builtin-classifier";
}

WorkerSettings WorkerSettings::FromAgentSettings(const json& settings) {
  WorkerSettings w;
  const json skill = config::SettingOrDefault(settings, "spec.worker", "skill");
  // The loader refuses a name the schema does not list.
  w.skill_backend = config::SettingOrDefault(skill, "spec.worker.skill", "backend").get<std::string>() == "openai"
                        ? SkillBackend::kOpenAi
                        : SkillBackend::kBuiltinClassifier;
  // skill.train has no default (required with builtin-classifier); its keys do.
  const json train = skill.is_object() ? skill.value("train", json::object()) : json::object();
  w.train_split = config::SettingOrDefault(train, "spec.worker.skill.train", "split").get<std::string>();
  w.train_domains =
      config::SettingOrDefault(train, "spec.worker.skill.train", "domains").get<std::vector<std::string>>();

  const json defer = config::SettingOrDefault(settings, "spec.worker", "defer");
  w.defer_enabled = config::SettingOrDefault(defer, "spec.worker.defer", "enabled").get<bool>();
  w.defer_teacher = config::SettingOrDefault(defer, "spec.worker.defer", "teacher").get<std::string>();
  w.deferral.max_share = config::SettingOrDefault(defer, "spec.worker.defer", "max_share").get<double>();
  w.deferral.max_cost_per_hour =
      config::SettingOrDefault(defer, "spec.worker.defer", "max_cost_per_hour").get<double>();
  w.deferral.window = config::SettingOrDefault(defer, "spec.worker.defer", "window").get<int>();
  return w;
}

}  // namespace kaizen::agents
