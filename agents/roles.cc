#include "agents/roles.h"

#include <functional>
#include <map>

#include "agents/datagen/datagen_agent.h"
#include "agents/deployment/deployment_agent.h"
#include "agents/evaluation/evaluation_agent.h"
#include "agents/gateway/gateway_agent.h"
#include "agents/monitoring/monitoring_agent.h"
#include "agents/planning/planning_agent.h"
#include "agents/simulator/simulator_agent.h"
#include "agents/training/training_agent.h"
#include "agents/worker/worker_agent.h"
#include "config/manifest_schema.h"

namespace kaizen::agents {
namespace {

template <typename T>
std::unique_ptr<sdk::Agent> Make() {
  return std::make_unique<T>();
}

const std::map<std::string, std::function<std::unique_ptr<sdk::Agent>()>>& Factories() {
  static const std::map<std::string, std::function<std::unique_ptr<sdk::Agent>()>> factories = {
      {"worker", Make<WorkerAgent>},         {"monitoring", Make<MonitoringAgent>},
      {"planning", Make<PlanningAgent>},     {"datagen", Make<DatagenAgent>},
      {"training", Make<TrainingAgent>},     {"evaluation", Make<EvaluationAgent>},
      {"deployment", Make<DeploymentAgent>}, {"gateway", Make<GatewayAgent>},
      {"simulator", Make<SimulatorAgent>},
  };
  return factories;
}

}  // namespace

// The roles are the manifest schema's, in its order (config::kRoles, the one
// list); the table above gives each its agent, and roles_test checks that
// every role has one and no agent is left without a role.
const std::vector<std::string>& SupervisedRoles() {
  static const std::vector<std::string> roles(config::kRoles.begin(), config::kRoles.end());
  return roles;
}

std::vector<std::string> RolesWithAgents() {
  std::vector<std::string> out;
  for (const auto& [role, make] : Factories()) out.push_back(role);
  return out;
}

Result<std::unique_ptr<sdk::Agent>> MakeAgent(const std::string& role) {
  auto it = Factories().find(role);
  if (it == Factories().end()) {
    std::string known;
    for (const auto& r : SupervisedRoles()) known += (known.empty() ? "" : ", ") + r;
    return Status::InvalidArgument("unknown agent role '" + role + "'; known roles: " + known);
  }
  return it->second();
}

}  // namespace kaizen::agents
