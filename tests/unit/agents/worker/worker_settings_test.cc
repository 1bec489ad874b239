#include "agents/worker/worker_settings.h"

#include <catch2/catch.hpp>

#include "config/manifest_schema.h"

namespace kaizen::agents {
namespace {

using json = nlohmann::json;
using config::SchemaDefault;

TEST_CASE("worker settings: keys left out are the manifest schema's defaults", "[worker][settings]") {
  const WorkerSettings w = WorkerSettings::FromAgentSettings(json::object());
  CHECK(WorkerSettings::Name(w.skill_backend) == SchemaDefault("spec.worker.skill.backend").get<std::string>());
  CHECK(w.train_split == SchemaDefault("spec.worker.skill.train.split").get<std::string>());
  CHECK(w.train_domains == SchemaDefault("spec.worker.skill.train.domains").get<std::vector<std::string>>());
  CHECK(w.defer_enabled == SchemaDefault("spec.worker.defer.enabled").get<bool>());
  CHECK(w.defer_teacher == SchemaDefault("spec.worker.defer.teacher").get<std::string>());
  CHECK(w.deferral.max_share == SchemaDefault("spec.worker.defer.max_share").get<double>());
  CHECK(w.deferral.max_cost_per_hour == SchemaDefault("spec.worker.defer.max_cost_per_hour").get<double>());
  CHECK(w.deferral.window == SchemaDefault("spec.worker.defer.window").get<int>());
  CHECK(w.deferral.cost_per_call == 0);  // the teacher's price, not a setting
}

TEST_CASE("worker settings: keys set win, and a nested object set in part keeps the other defaults",
          "[worker][settings]") {
  const WorkerSettings w = WorkerSettings::FromAgentSettings(
      {{"skill", {{"backend", "openai"}, {"train", {{"dataset", "d"}, {"split", "val"}}}}},
       {"defer", {{"enabled", true}, {"max_share", 0.1}}}});
  CHECK(w.skill_backend == WorkerSettings::SkillBackend::kOpenAi);
  CHECK(w.train_split == "val");
  CHECK(w.train_domains.empty());
  CHECK(w.defer_enabled);
  CHECK(w.deferral.max_share == 0.1);
  CHECK(w.deferral.window == SchemaDefault("spec.worker.defer.window").get<int>());
}

}  // namespace
}  // namespace kaizen::agents
