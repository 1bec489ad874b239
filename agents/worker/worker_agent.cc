#include "agents/worker/worker_agent.h"

#include <spdlog/spdlog.h>

namespace kaizen::agents {

Status WorkerAgent::OnStart() {
  spdlog::info("worker agent {} ready; settings: {}", id(), settings().dump());
  return Status::OK();
}

}  // namespace kaizen::agents
