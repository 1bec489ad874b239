// DeploymentAgent: A/B-tests the candidate against the clone on live traffic; promotes or rolls back.
// Registers and reports its state on the bus; its part of the improvement
// cycle is added in the cycle stage (see docs/architecture.md).
#pragma once

#include "agents/sdk/agent.h"

namespace kaizen::agents {

class DeploymentAgent : public sdk::Agent {
 public:
  Status OnStart() override;
};

}  // namespace kaizen::agents
