#include "agents/datagen/datagen_agent.h"

#include <spdlog/spdlog.h>

namespace kaizen::agents {

Status DatagenAgent::OnStart() {
  spdlog::info("datagen agent {} ready; settings: {}", id(), settings().dump());
  return Status::OK();
}

}  // namespace kaizen::agents
