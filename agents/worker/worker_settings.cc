#include "agents/worker/worker_settings.h"

#include <string>

#include "config/manifest_schema.h"

namespace kaizen::agents {
namespace {

using json = nlohmann::json;

// section[key], else the schema's default for path.key.
json Setting(const json& section, const std::string& path, const char* key) {
  return config::SettingOrDefault(section, path, key);
}

}  // namespace

const char* WorkerSettings::Name(SkillBackend backend) {
  return backend == SkillBackend::kOpenAi ? "openai" : "builtin-classifier";
}

WorkerSettings WorkerSettings::FromAgentSettings(const json& settings) {
  WorkerSettings w;
  const json skill = Setting(settings, "spec.worker", "skill");
  // The loader refuses a name the schema does not list.
  w.skill_backend = Setting(skill, "spec.worker.skill", "backend").get<std::string>() == "openai"
                        ? SkillBackend::kOpenAi
                        : SkillBackend::kBuiltinClassifier;
  // skill.train has no default (required with builtin-classifier); its keys do.
  const json train = skill.is_object() ? skill.value("train", json::object()) : json::object();
  w.train_split = Setting(train, "spec.worker.skill.train", "split").get<std::string>();
  w.train_domains = Setting(train, "spec.worker.skill.train", "domains").get<std::vector<std::string>>();

  const json defer = Setting(settings, "spec.worker", "defer");
  w.defer_enabled = Setting(defer, "spec.worker.defer", "enabled").get<bool>();
  w.defer_teacher = Setting(defer, "spec.worker.defer", "teacher").get<std::string>();
  w.deferral.max_share = Setting(defer, "spec.worker.defer", "max_share").get<double>();
  w.deferral.max_cost_per_hour = Setting(defer, "spec.worker.defer", "max_cost_per_hour").get<double>();
  w.deferral.window = Setting(defer, "spec.worker.defer", "window").get<int>();
  return w;
}

}  // namespace kaizen::agents
