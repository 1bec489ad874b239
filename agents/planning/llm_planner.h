// LlmPlanner: the optional planner that asks an LLM (spec.planning.backend:
// openai, endpoint spec.planning.openai) how to spend the cycle's teacher
// budget. The rule planner still draws the bounds: it makes its plan first,
// and the LLM only chooses within it: how many of the allowed teacher calls,
// which selection policy, which of the diagnosed categories to cover first,
// how much of the prompt to change (within spec.planning.bounds.max_prompt_change)
// and why. ApplyAdvice enforces that; every change the bounds make to the
// LLM's choice is recorded in the plan's bound_actions.
//
// When the LLM cannot be reached or answers no usable JSON, the rule plan is
// used and a bound action says why: a cycle never stops for its planner LLM.
// Human-demonstration plans and the rule planner's refusals (no budget left,
// replans exhausted) are not the LLM's to change.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agents/models/llm/chat_client.h"
#include "agents/planning/rule_planner.h"
#include "cycle.pb.h"
#include "runtime/base/result.h"

namespace kaizen::agents {

// The LLM's answer applied to the rule plan: teacher_calls in [1, the rule
// plan's], a selection policy from RulePlanner::SelectionPolicies(), focus
// entries from `categories` only, prompt_change (a plan that changes a
// prompt) at most bounds.max_prompt_change, rationale prefixed with
// "LLM planner: "; the plan's significance is scored again.
// Anything out of bounds or malformed keeps the rule plan's value and adds a
// bound action naming what the LLM asked for.
v1::Plan ApplyAdvice(const RulePlanner& rules, v1::Plan rule_plan, const nlohmann::json& advice,
                     const std::vector<std::string>& categories);

// The user message the LLM is asked: the trigger, the diagnosis, the last
// attempt's verdict and the bounds, ending with the JSON shape to reply in.
std::string PlanPrompt(const v1::PlanRequest& request, const v1::Plan& rule_plan,
                       const std::vector<std::string>& categories);

class LlmPlanner {
 public:
  // settings: the planning agent's settings (spec.planning plus "cluster").
  // InvalidArgument for a bad spec.planning.openai block; FailedPrecondition
  // when its api_key_env is not set.
  static Result<std::unique_ptr<LlmPlanner>> Create(const nlohmann::json& settings);

  // Blocks for the LLM call (the agent runs it off its event loop). Calls are
  // tagged "planning:<cycle_id>" and the plan's llm_usage holds what this one cost.
  Result<v1::Plan> MakePlan(const v1::PlanRequest& request, const std::string& cycle_id) const;

 private:
  LlmPlanner(nlohmann::json settings, std::unique_ptr<models::llm::ChatClient> client)
      : settings_(std::move(settings)), client_(std::move(client)) {}
  nlohmann::json settings_;
  std::unique_ptr<models::llm::ChatClient> client_;
};

}  // namespace kaizen::agents
