// PlanningAgent: answers the runtime's PlanRequest with a Plan: strategy,
// teacher budget within the manifest's bounds, selection policy, focus and
// acceptance metrics. The rules live in RulePlanner; with
// spec.planning.backend: openai an LlmPlanner chooses within the rule plan's
// bounds, on a thread of its own so heartbeats go on while the LLM answers.
// A request it cannot plan for (no teacher, replans exhausted) gets an Error reply.
#pragma once

#include <future>
#include <memory>
#include <optional>
#include <vector>

#include "agents/planning/llm_planner.h"
#include "agents/sdk/agent.h"

namespace kaizen::agents {

class PlanningAgent : public sdk::Agent {
 public:
  Status OnStart() override;

 private:
  void OnPlanRequest(const sdk::Envelope& request);
  void PollLlmPlan();
  void Answer(const sdk::Envelope& request, Result<v1::Plan> plan);

  std::shared_ptr<LlmPlanner> llm_;      // null: the rule planner alone
  std::string llm_unavailable_;          // why backend openai could not be set up
  std::optional<sdk::Envelope> pending_;  // the request the LLM is answering (its latest copy)
  std::future<Result<v1::Plan>> llm_plan_;
  std::vector<std::future<Result<v1::Plan>>> superseded_;
};

}  // namespace kaizen::agents
