#include "agents/planning/planning_agent.h"

#include <spdlog/spdlog.h>

namespace kaizen::agents {

Status PlanningAgent::OnStart() {
  spdlog::info("planning agent {} ready; settings: {}", id(), settings().dump());
  return Status::OK();
}

}  // namespace kaizen::agents
