// MonitoringAgent: Watches task results and feedback; decides when to improve and what degraded.
// Registers and reports its state on the bus; its part of the improvement
// cycle is added in the cycle stage (see docs/architecture.md).
#pragma once

#include "agents/sdk/agent.h"

namespace kaizen::agents {

class MonitoringAgent : public sdk::Agent {
 public:
  Status OnStart() override;
};

}  // namespace kaizen::agents
