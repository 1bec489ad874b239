#include "agents/simulator/simulator_settings.h"

#include <catch2/catch.hpp>

#include "config/manifest_schema.h"

namespace kaizen::agents {
namespace {

using json = nlohmann::json;
using config::SchemaDefault;

TEST_CASE("simulator settings: keys left out are the manifest schema's defaults", "[simulator][settings]") {
  const SimulatorSettings s = SimulatorSettings::FromAgentSettings(json::object());
  CHECK(s.seed == SchemaDefault("spec.simulator.seed").get<uint64_t>());
  CHECK(s.rate_per_s == SchemaDefault("spec.simulator.rate_per_s").get<double>());
  CHECK(s.total_tasks == SchemaDefault("spec.simulator.total_tasks").get<uint64_t>());
  CHECK(s.drift_at_task == SchemaDefault("spec.simulator.drift_at_task").get<uint64_t>());
  CHECK(s.users == SchemaDefault("spec.simulator.users").get<uint64_t>());
  CHECK(s.tasks_after_cycle == SchemaDefault("spec.simulator.tasks_after_cycle").get<uint64_t>());
  CHECK(s.max_tasks == SchemaDefault("spec.simulator.max_tasks").get<uint64_t>());
  CHECK(s.feedback_rate == SchemaDefault("spec.simulator.feedback_rate").get<double>());
  CHECK(s.feedback_noise == SchemaDefault("spec.simulator.feedback_noise").get<double>());
  CHECK(SimulatorSettings::Name(s.via) == SchemaDefault("spec.simulator.via").get<std::string>());
  CHECK(s.max_in_flight == SchemaDefault("spec.simulator.max_in_flight").get<uint64_t>());
  CHECK(s.split == SchemaDefault("spec.simulator.split").get<std::string>());
  CHECK(s.before_drift_domains == SchemaDefault("spec.simulator.before_drift_domains").get<std::vector<std::string>>());
  CHECK(s.after_drift_domains == SchemaDefault("spec.simulator.after_drift_domains").get<std::vector<std::string>>());
}

TEST_CASE("simulator settings: keys set win", "[simulator][settings]") {
  const SimulatorSettings s = SimulatorSettings::FromAgentSettings(
      {{"seed", 42}, {"rate_per_s", 5.5}, {"via", "gateway"}, {"after_drift_domains", {"travel"}}});
  CHECK(s.seed == uint64_t{42});
  CHECK(s.rate_per_s == 5.5);
  CHECK(s.via == SimulatorSettings::Via::kGateway);
  CHECK(s.after_drift_domains == std::vector<std::string>{"travel"});
}

}  // namespace
}  // namespace kaizen::agents
