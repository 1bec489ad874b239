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
  if (name == "slurm") return TrainingBackend::kSlurm;
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

SlurmTrainingSettings SlurmTrainingFrom(const json& section) {
  auto get = [&](const char* key) { return config::SettingOrDefault(section, "spec.training.slurm", key); };
  SlurmTrainingSettings t;
  t.trainer = get("trainer").get<std::string>() == "command" ? SlurmTrainerKind::kCommand : SlurmTrainerKind::kBuiltin;
  t.cpus = get("cpus").get<int>();
  t.mem = get("mem").get<std::string>();
  t.gres = get("gres").get<std::string>();
  t.time_limit = get("time_limit").get<std::string>();
  return t;
}

SlurmClusterSettings SlurmClusterFrom(const json& section) {
  auto get = [&](const char* key) { return config::SettingOrDefault(section, "spec.slurm", key); };
  SlurmClusterSettings c;
  c.partition = get("partition").get<std::string>();
  c.account = get("account").get<std::string>();
  c.time_limit = get("time_limit").get<std::string>();
  c.poll_interval_ms = get("poll_interval_ms").get<int64_t>();
  c.extra_args = get("extra_args").get<std::vector<std::string>>();
  return c;
}

}  // namespace

const char* TrainingBackendName(TrainingBackend backend) {
  switch (backend) {
    case TrainingBackend::kBuiltin: return "builtin";
    case TrainingBackend::kCommand: return "command";
    case TrainingBackend::kPrompt: return "prompt";
    case TrainingBackend::kSlurm: return "slurm";
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
  s.slurm = SlurmTrainingFrom(Setting(settings, "slurm"));
  const json cluster = settings.is_object() ? settings.value("cluster", json::object()) : json::object();
  s.spec = cluster.is_object() ? cluster.value("spec", json::object()) : json::object();
  if (s.spec.is_object()) s.replay = ReplayFrom(s.spec);
  s.slurm_cluster = SlurmClusterFrom(s.spec.is_object() ? s.spec.value("slurm", json::object()) : json::object());
  s.cluster_name = cluster.is_object() ? cluster.value("name", "") : "";
  s.cluster_state_dir = cluster.is_object() ? cluster.value("state_dir", "") : "";
  return s;
}

}  // namespace kaizen::agents
