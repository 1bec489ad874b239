#include "agents/evaluation/evaluation_agent.h"

#include <spdlog/spdlog.h>

namespace kaizen::agents {

Status EvaluationAgent::OnStart() {
  spdlog::info("evaluation agent {} ready; settings: {}", id(), settings().dump());
  return Status::OK();
}

}  // namespace kaizen::agents
