// EvaluationAgent: Benchmarks the candidate against the incumbent on held-out data; pass or fail against the plan.
// Registers and reports its state on the bus; its part of the improvement
// cycle is added in the cycle stage (see docs/architecture.md).
#pragma once

#include "agents/sdk/agent.h"

namespace kaizen::agents {

class EvaluationAgent : public sdk::Agent {
 public:
  Status OnStart() override;
};

}  // namespace kaizen::agents
