// DatagenAgent: Carries out a plan's data requests: picks inputs, asks teachers, writes a versioned dataset.
// Registers and reports its state on the bus; its part of the improvement
// cycle is added in the cycle stage (see docs/architecture.md).
#pragma once

#include "agents/sdk/agent.h"

namespace kaizen::agents {

class DatagenAgent : public sdk::Agent {
 public:
  Status OnStart() override;
};

}  // namespace kaizen::agents
