#include "agents/planning/planning_agent.h"

#include <spdlog/spdlog.h>

#include "agents/planning/rule_planner.h"

namespace kaizen::agents {

using sdk::Envelope;

Status PlanningAgent::OnStart() {
  Handle(Envelope::kPlanRequest, [this](const Envelope& e) { OnPlanRequest(e); });
  spdlog::info("planning agent {} ready", id());
  return Status::OK();
}

void PlanningAgent::OnPlanRequest(const Envelope& request) {
  const auto& req = request.plan_request();
  // Planning is instant, so a re-sent request is simply answered again.
  RulePlanner planner(settings());
  auto plan = planner.MakePlan(req);
  Envelope reply;
  if (!plan.ok()) {
    spdlog::warn("cycle {}: no plan (attempt {}): {}", request.cycle_id(), req.attempt(), plan.status().message());
    reply.mutable_error()->set_code(v1::Error::BAD_REQUEST);
    reply.mutable_error()->set_message(plan.status().message());
    Reply(request, std::move(reply));
    return;
  }
  for (const auto& action : plan->bound_actions()) {
    spdlog::info("cycle {}: bound applied: {}", request.cycle_id(), action);
  }
  spdlog::info("cycle {}: plan attempt {}: {} with {} calls to {} (${:.2f}), policy {}{}; {}", request.cycle_id(),
               req.attempt(), plan->strategy(), plan->teacher_calls(), plan->teacher(), plan->max_cost(),
               plan->selection_policy(), plan->needs_approval() ? ", needs approval" : "", plan->rationale());
  *reply.mutable_plan() = std::move(*plan);
  Reply(request, std::move(reply));
}

}  // namespace kaizen::agents
