#include "agents/deployment/deployment_agent.h"

#include <spdlog/spdlog.h>

namespace kaizen::agents {

Status DeploymentAgent::OnStart() {
  spdlog::info("deployment agent {} ready; settings: {}", id(), settings().dump());
  return Status::OK();
}

}  // namespace kaizen::agents
