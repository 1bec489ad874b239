#include "agents/training/training_agent.h"

#include <spdlog/spdlog.h>

namespace kaizen::agents {

Status TrainingAgent::OnStart() {
  spdlog::info("training agent {} ready; settings: {}", id(), settings().dump());
  return Status::OK();
}

}  // namespace kaizen::agents
