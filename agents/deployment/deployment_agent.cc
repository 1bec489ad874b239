#include "agents/deployment/deployment_agent.h"

#include <spdlog/spdlog.h>

namespace kaizen::agents {

using sdk::Envelope;

Status DeploymentAgent::OnStart() {
  Handle(Envelope::kRolloutRequest, [this](const Envelope& e) { OnRolloutRequest(e); });
  Handle(Envelope::kError, [](const Envelope& e) {
    spdlog::warn("runtime refused a message of deployment: {}", e.error().message());
  });
  OnEvent("feedback", [this](const Envelope& e) { OnFeedback(e); });
  OnEvent("task_result", [this](const Envelope& e) { OnTaskResult(e); });
  // The detail changes with every sample; each state change is journaled, so refresh it now and then.
  Every(5000, [this] {
    if (rollout_ && !rollout_->answered) {
      SetState(v1::AGENT_STATE_BUSY, "cycle " + rollout_->cycle_id + ": " + rollout_->policy->Describe());
    }
  });
  spdlog::info("deployment agent {} ready; settings: {}", id(), settings().dump());
  return Status::OK();
}

void DeploymentAgent::OnRolloutRequest(const Envelope& request) {
  const auto& req = request.rollout_request();
  if (rollout_ && rollout_->cycle_id == request.cycle_id()) {
    // A re-sent request (the runtime or this agent restarted): keep the test going.
    rollout_->request = request;
    if (rollout_->answered) {
      spdlog::info("cycle {}: rollout already decided; answering again", request.cycle_id());
      Answer();
    } else {
      spdlog::info("cycle {}: rollout request re-sent; the test goes on", request.cycle_id());
      SendSplit("re-sent: " + rollout_->policy->Describe());
    }
    return;
  }
  if (rollout_ && !rollout_->answered) {
    spdlog::warn("cycle {}: rollout of cycle {} dropped for a new request", request.cycle_id(), rollout_->cycle_id);
  }
  std::vector<double> steps(req.steps().begin(), req.steps().end());
  auto options = RolloutPolicy::OptionsFromSettings(settings(), steps);
  rollout_.emplace();
  rollout_->cycle_id = request.cycle_id();
  rollout_->request = request;
  rollout_->policy = std::make_unique<RolloutPolicy>(options);
  spdlog::info("cycle {}: A/B test of candidate {} (worker {}) against incumbent {} (worker {}); steps {}, alpha {}, "
               "{} samples per step, at most {} samples, max error rate {}",
               request.cycle_id(), req.candidate(), req.candidate_worker(), req.incumbent(), req.incumbent_worker(),
               nlohmann::json(options.steps).dump(), options.alpha, options.min_samples_per_step, options.max_samples,
               options.max_error_rate);
  SetState(v1::AGENT_STATE_BUSY, "cycle " + rollout_->cycle_id + ": " + rollout_->policy->Describe());
  SendSplit("A/B test of " + req.candidate() + " starts at " + std::to_string(int(options.steps[0] * 100 + 0.5)) +
            "% of traffic");
}

std::optional<RolloutPolicy::Arm> DeploymentAgent::ArmOf(const std::string& worker_id,
                                                         const std::string& model_version) const {
  if (!rollout_ || rollout_->answered) return std::nullopt;
  const auto& req = rollout_->request.rollout_request();
  // The version check drops answers the candidate's worker gave before it was reloaded.
  if (worker_id == req.candidate_worker() && (model_version.empty() || model_version == req.candidate())) {
    return RolloutPolicy::Arm::kCandidate;
  }
  if (worker_id == req.incumbent_worker() && (model_version.empty() || model_version == req.incumbent())) {
    return RolloutPolicy::Arm::kIncumbent;
  }
  return std::nullopt;
}

void DeploymentAgent::OnFeedback(const Envelope& e) {
  const auto& f = e.feedback();
  if (f.kind() != v1::Feedback::THUMBS_UP && f.kind() != v1::Feedback::THUMBS_DOWN) return;
  auto arm = ArmOf(f.worker_id(), f.model_version());
  if (!arm) return;
  Act(rollout_->policy->OnFeedback(*arm, f.kind() == v1::Feedback::THUMBS_UP));
}

void DeploymentAgent::OnTaskResult(const Envelope& e) {
  const auto& r = e.task_result();
  auto arm = ArmOf(r.worker_id(), r.model_version());
  if (!arm) return;
  Act(rollout_->policy->OnTaskResult(*arm, r.ok()));
}

void DeploymentAgent::Act(RolloutPolicy::Action action) {
  switch (action) {
    case RolloutPolicy::Action::kContinue:
      return;
    case RolloutPolicy::Action::kAdvance:
      spdlog::info("cycle {}: {}", rollout_->cycle_id, rollout_->policy->reason());
      SendSplit(rollout_->policy->reason());
      SetState(v1::AGENT_STATE_BUSY, "cycle " + rollout_->cycle_id + ": " + rollout_->policy->Describe());
      return;
    case RolloutPolicy::Action::kPromote:
      if (settings().value("require_approval", false)) {
        spdlog::info("cycle {}: the test says promote; the runtime waits for a person to approve (require_approval)",
                     rollout_->cycle_id);
      }
      [[fallthrough]];
    case RolloutPolicy::Action::kRollback:
      rollout_->answered = true;
      Answer();
      return;
  }
}

void DeploymentAgent::SendSplit(const std::string& reason) {
  Envelope env;
  env.set_cycle_id(rollout_->cycle_id);
  auto* ts = env.mutable_traffic_split();
  ts->set_candidate_weight(rollout_->policy->weight());
  ts->set_reason(reason);
  if (Status s = Send("runtime", std::move(env)); !s.ok()) {
    spdlog::warn("cycle {}: could not send the traffic split: {}", rollout_->cycle_id, s.message());
  }
}

void DeploymentAgent::Answer() {
  v1::RolloutDecision d = rollout_->policy->Decision();
  spdlog::info("cycle {}: {}: {}", rollout_->cycle_id, d.outcome() == v1::RolloutDecision::PROMOTE ? "PROMOTE" : "ROLLBACK",
               d.reason());
  Envelope reply;
  *reply.mutable_rollout_decision() = d;
  Reply(rollout_->request, std::move(reply));
  SetState(v1::AGENT_STATE_IDLE, "cycle " + rollout_->cycle_id + ": " +
                                     (d.outcome() == v1::RolloutDecision::PROMOTE ? "promoted" : "rolled back"));
}

}  // namespace kaizen::agents
