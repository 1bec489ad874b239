#include "agents/planning/planning_agent.h"

#include <chrono>

#include <spdlog/spdlog.h>

#include "agents/planning/planning_settings.h"
#include "agents/planning/rule_planner.h"

namespace kaizen::agents {

using sdk::Envelope;

Status PlanningAgent::OnStart() {
  Handle(Envelope::kPlanRequest, [this](const Envelope& e) { OnPlanRequest(e); });
  if (PlanningSettings::FromAgentSettings(settings()).backend == PlanningSettings::Backend::kOpenAi) {
    auto planner = LlmPlanner::Create(settings());
    if (planner.ok()) {
      llm_ = std::move(*planner);
    } else {
      // Plans still come from the rules; each one says why the LLM was not asked.
      llm_unavailable_ = planner.status().message();
      spdlog::error("planning: the LLM planner cannot be used: {}; planning by rules", llm_unavailable_);
    }
    Every(100, [this] { PollLlmPlan(); });
  }
  spdlog::info("planning agent {} ready ({} planner)", id(), llm_ ? "LLM" : "rule");
  return Status::OK();
}

void PlanningAgent::OnPlanRequest(const Envelope& request) {
  const auto& req = request.plan_request();
  if (llm_) {
    if (pending_ && pending_->cycle_id() == request.cycle_id() &&
        pending_->plan_request().attempt() == req.attempt()) {
      pending_ = request;  // a re-sent request: answer the latest copy
      return;
    }
    // One plan at a time; the runtime runs one cycle, so a new request supersedes.
    // The superseded call runs out on its own (a std::async future would block here).
    if (llm_plan_.valid()) superseded_.push_back(std::move(llm_plan_));
    pending_ = request;
    auto planner = llm_;
    const std::string cycle_id = request.cycle_id();
    llm_plan_ = std::async(std::launch::async, [planner, req, cycle_id] { return planner->MakePlan(req, cycle_id); });
    SetState(v1::AGENT_STATE_BUSY, "asking the LLM planner for cycle " + cycle_id);
    return;
  }
  RulePlanner planner(settings());
  auto plan = planner.MakePlan(req);
  if (plan.ok() && !llm_unavailable_.empty() && plan->strategy() == "teacher_samples") {
    plan->add_bound_actions("LLM planner unavailable (" + llm_unavailable_ + "): the rule plan is used");
  }
  Answer(request, std::move(plan));
}

void PlanningAgent::PollLlmPlan() {
  std::erase_if(superseded_, [](auto& f) { return f.wait_for(std::chrono::seconds(0)) == std::future_status::ready; });
  if (!llm_plan_.valid() || llm_plan_.wait_for(std::chrono::seconds(0)) != std::future_status::ready) return;
  auto plan = llm_plan_.get();
  if (pending_) Answer(*pending_, std::move(plan));
  pending_.reset();
  SetState(v1::AGENT_STATE_IDLE, "");
}

void PlanningAgent::Answer(const Envelope& request, Result<v1::Plan> plan) {
  const auto& req = request.plan_request();
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
