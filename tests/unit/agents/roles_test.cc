// One role registry: the manifest schema names the roles; every one of them
// has an agent in this binary, and no agent exists for a role the manifest
// cannot name.
#include "agents/roles.h"

#include <catch2/catch.hpp>
#include <algorithm>
#include <set>

#include "config/manifest_schema.h"

TEST_CASE("every role the manifest names has an agent, and every agent a role", "[agents]") {
  const auto& roles = kaizen::agents::SupervisedRoles();
  CHECK(roles == std::vector<std::string>(kaizen::config::kRoles.begin(), kaizen::config::kRoles.end()));
  const auto with_agents = kaizen::agents::RolesWithAgents();
  CHECK(std::set<std::string>(with_agents.begin(), with_agents.end()) == std::set<std::string>(roles.begin(), roles.end()));
  for (const auto& role : roles) {
    INFO(role);
    auto agent = kaizen::agents::MakeAgent(role);
    CHECK(agent.ok());
  }
  auto unknown = kaizen::agents::MakeAgent("trainer");
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.status().message() ==
        "unknown agent role 'trainer'; known roles: worker, monitoring, planning, datagen, training, evaluation, "
        "deployment, gateway, simulator");
}
