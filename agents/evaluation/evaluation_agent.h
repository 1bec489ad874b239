// EvaluationAgent: benchmarks the candidate against the incumbent on the
// cycle's held-out validation rows and answers an EvalRequest with an
// EvalReport (see model_comparison.h for the scoring). Loading and predicting
// run on a background thread; the reply is sent from the agent's loop.
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
    std::string key;          // cycle + candidate + incumbent + dataset: a re-sent request matches it
    sdk::Envelope request;    // the latest copy, so the reply answers what the runtime waits on
    std::shared_ptr<Progress> progress;
    std::future<Result<v1::EvalReport>> result;
  };

  void OnEvalRequest(const sdk::Envelope& request);
  void Poll();
  void Answer(const sdk::Envelope& request, const Result<v1::EvalReport>& report);

  // Runs on the background thread.
  // `spec` is the cluster spec: LLM candidates use spec.worker.skill.openai and
  // free-text ones spec.evaluation.judge (model_predictor.h).
  static Result<v1::EvalReport> Evaluate(v1::EvalRequest req, double confidence, std::shared_ptr<Progress> progress,
                                         nlohmann::json spec);

  std::optional<Job> job_;
  // Jobs of an older cycle replaced by a new request: finished, then dropped.
  std::vector<std::future<Result<v1::EvalReport>>> abandoned_;
  // The last finished job, answered again if its request is re-sent.
  std::string done_key_;
  std::optional<Result<v1::EvalReport>> done_result_;
  bool draining_ = false;
};

}  // namespace kaizen::agents
