// PlanningAgent: answers the runtime's PlanRequest with a Plan: strategy,
// teacher budget within the manifest's bounds, selection policy, focus and
// acceptance metrics. The rules live in RulePlanner; a request it cannot
// plan for (no teacher, replans exhausted) gets an Error reply.
#pragma once

#include "agents/sdk/agent.h"

namespace kaizen::agents {

class PlanningAgent : public sdk::Agent {
 public:
  Status OnStart() override;

 private:
  void OnPlanRequest(const sdk::Envelope& request);
};

}  // namespace kaizen::agents
