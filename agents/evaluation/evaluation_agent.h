// EvaluationAgent: benchmarks the candidate against the incumbent on the
// cycle's held-out validation rows and answers an EvalRequest with an
// EvalReport (see model_comparison.h for the scoring). Loading and predicting
// run on a background thread; the reply is sent from the agent's loop.
// Requests follow the stage-job protocol (sdk/stage_jobs.h); a drain lets the
// running evaluation finish and be answered first.
#pragma once

#include <atomic>
#include <cstdint>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agents/sdk/agent.h"
#include "agents/sdk/stage_jobs.h"
#include "cycle.pb.h"
#include "runtime/base/result.h"

namespace kaizen::agents {

class EvaluationAgent : public sdk::Agent {
 public:
  ~EvaluationAgent() override;
  Status OnStart() override;
  void OnDrain() override;

 private:
  struct Progress {
    std::atomic<int64_t> done{0}, total{0};
  };
  struct Job {
    v1::EvalRequest request;
    std::shared_ptr<Progress> progress;
    std::future<Result<v1::EvalReport>> result;
  };

  Status StartEvaluation(const sdk::Envelope& request);
  Status Stop(sdk::StageJobs::StopReason why);
  void Poll();

  // Runs on the background thread.
  // `spec` is the cluster spec: LLM candidates use spec.worker.skill.openai and
  // free-text ones spec.evaluation.judge (model_predictor.h).
  // `constitution` is spec.evaluation.constitution (null: no gate); it is
  // loaded for every evaluation, so each runs the file as it is then; judged
  // cases go to spec.evaluation.judge (RunConstitution, constitution_gate.h).
  static Result<v1::EvalReport> Evaluate(v1::EvalRequest req, double confidence, std::shared_ptr<Progress> progress,
                                         nlohmann::json spec, nlohmann::json constitution);

  double confidence_ = 0;  // spec.evaluation.confidence
  nlohmann::json constitution_;  // spec.evaluation.constitution, or null
  std::unique_ptr<sdk::StageJobs> jobs_;
  std::optional<Job> job_;
  // Jobs of an older cycle replaced by a new request: finished, then dropped.
  std::vector<std::future<Result<v1::EvalReport>>> abandoned_;
};

}  // namespace kaizen::agents
