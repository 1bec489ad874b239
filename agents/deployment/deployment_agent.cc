#include "agents/deployment/deployment_agent.h"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "config/manifest_schema.h"

namespace kaizen::agents {

using sdk::Envelope;

Status DeploymentAgent::OnStart() {
  jobs_ = std::make_unique<sdk::StageJobs>(
      sdk::StageJobs::Stage{"deployment", [this](const Envelope& e) { return StartRollout(e); },
                            [this](sdk::StageJobs::StopReason) {
                              rollout_.reset();
                              return Status::OK();
                            },
                            [this](const Envelope&) {
                              // The runtime (or this agent) restarted: the split it holds may be older.
                              if (rollout_) SendSplit("re-sent: " + rollout_->policy->Describe());
                            }},
      StagePort());
  Handle(Envelope::kRolloutRequest, [this](const Envelope& e) { jobs_->OnRequest(e); });
  Handle(Envelope::kError, [](const Envelope& e) {
    spdlog::warn("runtime refused a message of deployment: {}", e.error().message());
  });
  OnEvent("feedback", [this](const Envelope& e) { OnFeedback(e); });
  OnEvent("task_result", [this](const Envelope& e) { OnTaskResult(e); });
  // The detail changes with every sample; each state change is journaled, so refresh it now and then.
  Every(5000, [this] {
    if (rollout_) jobs_->Progress("cycle " + rollout_->cycle_id + ": " + rollout_->policy->Describe());
  });
  spdlog::info("deployment agent {} ready; settings: {}", id(), settings().dump());
  return Status::OK();
}

Status DeploymentAgent::StartRollout(const Envelope& request) {
  const auto& req = request.rollout_request();
  std::vector<double> steps(req.steps().begin(), req.steps().end());
  auto options = RolloutPolicy::OptionsFromSettings(settings(), steps);
  rollout_.emplace();
  rollout_->cycle_id = request.cycle_id();
  rollout_->request = req;
  rollout_->policy = std::make_unique<RolloutPolicy>(options);
  spdlog::info("cycle {}: A/B test of candidate {} (worker {}) against incumbent {} (worker {}); steps {}, alpha {}, "
               "{} samples per step, at most {} samples, max error rate {}",
               request.cycle_id(), req.candidate(), req.candidate_worker(), req.incumbent(), req.incumbent_worker(),
               nlohmann::json(options.steps).dump(), options.alpha, options.min_samples_per_step, options.max_samples,
               options.max_error_rate);
  jobs_->Progress("cycle " + rollout_->cycle_id + ": " + rollout_->policy->Describe());
  SendSplit("A/B test of " + req.candidate() + " starts at " + std::to_string(int(options.steps[0] * 100 + 0.5)) +
            "% of traffic");
  return Status::OK();
}

std::optional<RolloutPolicy::Arm> DeploymentAgent::ArmOf(const std::string& worker_id,
                                                         const std::string& model_version) const {
  if (!rollout_) return std::nullopt;
  const auto& req = rollout_->request;
  auto in_arm = [&](const std::string& first, const auto& replicas) {
    return worker_id == first || std::find(replicas.begin(), replicas.end(), worker_id) != replicas.end();
  };
  // The version check drops answers the candidate's worker gave before it was reloaded.
  if (in_arm(req.candidate_worker(), req.candidate_replicas()) &&
      (model_version.empty() || model_version == req.candidate())) {
    return RolloutPolicy::Arm::kCandidate;
  }
  if (in_arm(req.incumbent_worker(), req.incumbent_replicas()) &&
      (model_version.empty() || model_version == req.incumbent())) {
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
      jobs_->Progress("cycle " + rollout_->cycle_id + ": " + rollout_->policy->Describe());
      return;
    case RolloutPolicy::Action::kPromote:
      if (config::SettingOrDefault(settings(), "spec.deployment", "require_approval").get<bool>()) {
        spdlog::info("cycle {}: the test says promote; the runtime waits for a person to approve (require_approval)",
                     rollout_->cycle_id);
      }
      [[fallthrough]];
    case RolloutPolicy::Action::kRollback:
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
  const std::string detail =
      "cycle " + rollout_->cycle_id + ": " + (d.outcome() == v1::RolloutDecision::PROMOTE ? "promoted" : "rolled back");
  rollout_.reset();
  jobs_->Complete(std::move(reply), detail);
}

}  // namespace kaizen::agents
