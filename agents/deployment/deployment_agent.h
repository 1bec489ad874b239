// DeploymentAgent: A/B-tests the candidate against the incumbent (the clone)
// on live traffic and promotes or rolls back. Answers a RolloutRequest: sets
// the traffic split step by step (TrafficSplit to the runtime), counts thumbs
// per arm from "feedback" events and errors per arm from "task_result"
// events, and replies a RolloutDecision when RolloutPolicy decides. Requests
// follow the stage-job protocol (sdk/stage_jobs.h): a re-sent request keeps the
// test going (and sends the split again), a drain drops the test (the runtime
// re-sends the request to the restarted agent, which starts over).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "agents/deployment/rollout_policy.h"
#include "agents/sdk/agent.h"
#include "agents/sdk/stage_jobs.h"

namespace kaizen::agents {

class DeploymentAgent : public sdk::Agent {
 public:
  Status OnStart() override;
  void OnDrain() override { jobs_->Drain(); }

 private:
  struct Rollout {
    std::string cycle_id;
    v1::RolloutRequest request;
    std::unique_ptr<RolloutPolicy> policy;
  };

  Status StartRollout(const sdk::Envelope& request);
  void OnFeedback(const sdk::Envelope& e);
  void OnTaskResult(const sdk::Envelope& e);
  // Which arm an answer belongs to, if it belongs to the running rollout.
  std::optional<RolloutPolicy::Arm> ArmOf(const std::string& worker_id, const std::string& model_version) const;
  void Act(RolloutPolicy::Action action);
  void SendSplit(const std::string& reason);
  void Answer();

  std::unique_ptr<sdk::StageJobs> jobs_;
  std::optional<Rollout> rollout_;  // the test running, until it is answered
};

}  // namespace kaizen::agents
