// TrainingAgent: Turns a base model and a dataset into a candidate model version.
// Registers and reports its state on the bus; its part of the improvement
// cycle is added in the cycle stage (see docs/architecture.md).
#pragma once

#include "agents/sdk/agent.h"

namespace kaizen::agents {

class TrainingAgent : public sdk::Agent {
 public:
  Status OnStart() override;
};

}  // namespace kaizen::agents
