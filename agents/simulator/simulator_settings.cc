#include "agents/simulator/simulator_settings.h"

#include "config/manifest_schema.h"

namespace kaizen::agents {
namespace {

using json = nlohmann::json;

json Setting(const json& section, const char* key) { return config::SettingOrDefault(section, "spec.simulator", key); }

}  // namespace

const char* SimulatorSettings::Name(Via via) { return via == Via::kGateway ? "gateway" : "bus"; }

SimulatorSettings SimulatorSettings::FromAgentSettings(const json& settings) {
  SimulatorSettings s;
  s.seed = Setting(settings, "seed").get<uint64_t>();
  s.rate_per_s = Setting(settings, "rate_per_s").get<double>();
  s.total_tasks = Setting(settings, "total_tasks").get<uint64_t>();
  s.drift_at_task = Setting(settings, "drift_at_task").get<uint64_t>();
  s.users = Setting(settings, "users").get<uint64_t>();
  s.tasks_after_cycle = Setting(settings, "tasks_after_cycle").get<uint64_t>();
  s.max_tasks = Setting(settings, "max_tasks").get<uint64_t>();
  s.feedback_rate = Setting(settings, "feedback_rate").get<double>();
  s.feedback_noise = Setting(settings, "feedback_noise").get<double>();
  s.via = Setting(settings, "via").get<std::string>() == "gateway" ? Via::kGateway : Via::kBus;
  s.max_in_flight = Setting(settings, "max_in_flight").get<uint64_t>();
  s.split = Setting(settings, "split").get<std::string>();
  s.before_drift_domains = Setting(settings, "before_drift_domains").get<std::vector<std::string>>();
  s.after_drift_domains = Setting(settings, "after_drift_domains").get<std::vector<std::string>>();
  return s;
}

}  // namespace kaizen::agents
