// DeploymentAgent: A/B-tests the candidate against the incumbent (the clone)
// on live traffic and promotes or rolls back. Answers a RolloutRequest: sets
// the traffic split step by step (TrafficSplit to the runtime), counts thumbs
// per arm from "feedback" events and errors per arm from "task_result"
// events, and replies a RolloutDecision when RolloutPolicy decides.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "agents/deployment/rollout_policy.h"
#include "agents/sdk/agent.h"

namespace kaizen::agents {

class DeploymentAgent : public sdk::Agent {
 public:
  Status OnStart() override;

 private:
  struct Rollout {
    std::string cycle_id;
    sdk::Envelope request;  // the latest copy: the reply answers what the runtime waits on
    std::unique_ptr<RolloutPolicy> policy;
    bool answered = false;
  };

  void OnRolloutRequest(const sdk::Envelope& request);
  void OnFeedback(const sdk::Envelope& e);
  void OnTaskResult(const sdk::Envelope& e);
  // Which arm an answer belongs to, if it belongs to the running rollout.
  std::optional<RolloutPolicy::Arm> ArmOf(const std::string& worker_id, const std::string& model_version) const;
  void Act(RolloutPolicy::Action action);
  void SendSplit(const std::string& reason);
  void Answer();

  std::optional<Rollout> rollout_;
};

}  // namespace kaizen::agents
