#include "agents/training/training_settings.h"

#include "config/manifest_schema.h"

namespace kaizen::agents {
namespace {

using json = nlohmann::json;

constexpr const char* kSection = "spec.training";

json Setting(const json& section, const char* key) { return config::SettingOrDefault(section, kSection, key); }

TrainingBackend BackendFromName(const std::string& name) {
  if (name == "command") return TrainingBackend::kCommand;
  if (name == "prompt") return TrainingBackend::kPrompt;
  return TrainingBackend::kBuiltin;
}

std::optional<ReplaySource> ReplayFrom(const json& spec) {
  const json worker = spec.value("worker", json::object());
  const json train = worker.is_object() ? worker.value("skill", json::object()).value("train", json::object())
                                        : json::object();
  const std::string dataset = train.is_object() ? train.value("dataset", "") : "";
  const json data = spec.value("data", json::object());
  if (dataset.empty() || !data.is_object() || !data.contains(dataset) || !data[dataset].is_object()) {
    return std::nullopt;
  }
  ReplaySource r;
  r.path = data[dataset].value("path", "");
  r.split = train.value("split", "train");
  r.domains = train.value("domains", std::vector<std::string>{});
  if (r.path.empty()) return std::nullopt;
  return r;
}

}  // namespace

const char* TrainingBackendName(TrainingBackend backend) {
  switch (backend) {
    case TrainingBackend::kBuiltin: return "builtin";
    case TrainingBackend::kCommand: return "command";
    case TrainingBackend::kPrompt: return "prompt";
  }
  return "builtin";
}

TrainingSettings TrainingSettings::FromAgentSettings(const json& settings) {
  TrainingSettings s;
  s.backend = BackendFromName(Setting(settings, "backend").get<std::string>());
  s.command = settings.is_object() ? settings.value("command", "") : "";
  s.replay_fraction = Setting(settings, "replay_fraction").get<double>();
  s.epochs = Setting(settings, "epochs").get<int>();
  s.refit = Setting(settings, "refit").get<bool>();
  s.timeout_s = Setting(settings, "timeout_s").get<int64_t>();
  s.retries = Setting(settings, "retries").get<int>();
  s.prompt = Setting(settings, "prompt");
  const json cluster = settings.is_object() ? settings.value("cluster", json::object()) : json::object();
  s.spec = cluster.is_object() ? cluster.value("spec", json::object()) : json::object();
  if (s.spec.is_object()) s.replay = ReplayFrom(s.spec);
  return s;
}

}  // namespace kaizen::agents
