#include "agents/monitoring/monitoring_agent.h"

#include <spdlog/spdlog.h>

namespace kaizen::agents {

Status MonitoringAgent::OnStart() {
  spdlog::info("monitoring agent {} ready; settings: {}", id(), settings().dump());
  return Status::OK();
}

}  // namespace kaizen::agents
