#include "agents/datagen/datagen_settings.h"

#include "config/manifest_schema.h"

namespace kaizen::agents {
namespace {

nlohmann::json Setting(const nlohmann::json& section, const char* key) {
  return config::SettingOrDefault(section, "spec.datagen", key);
}

}  // namespace

const char* DatagenSettings::Name(InputsSince since) { return since == InputsSince::kStart ? "start" : "change"; }

DatagenSettings DatagenSettings::FromAgentSettings(const nlohmann::json& settings) {
  DatagenSettings s;
  s.concurrency = Setting(settings, "concurrency").get<int>();
  s.validation_fraction = Setting(settings, "validation_fraction").get<double>();
  s.dedupe = Setting(settings, "dedupe").get<bool>();
  s.inputs_since =
      Setting(settings, "inputs_since").get<std::string>() == "start" ? InputsSince::kStart : InputsSince::kChange;
  s.collect_timeout_s = Setting(settings, "collect_timeout_s").get<int64_t>();
  s.carry_labels = Setting(settings, "carry_labels").get<bool>();
  return s;
}

}  // namespace kaizen::agents
