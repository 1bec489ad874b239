// RolloutPolicy: the decisions of a staged A/B rollout, without sockets, so
// it can be tested. The candidate gets steps[0] of the traffic, then the next
// step, ...; thumbs up/down per arm feed an always-valid mSPRT
// (stats::MixtureSprt), so it may be looked at after every sample.
//   PROMOTE   the test says the candidate is better (p <= alpha) and the
//             candidate has >= min_samples_per_step feedbacks in this step;
//   ROLLBACK  the test says it is worse; or its error rate exceeds
//             max_error_rate over >= min_guardrail_tasks tasks; or max_samples
//             feedbacks came in without a decision;
//   ADVANCE   the candidate has >= min_samples_per_step feedbacks in this step
//             and there is a next step.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agents/stats/msprt.h"
#include "cycle.pb.h"

namespace kaizen::agents {

class RolloutPolicy {
 public:
  using Arm = stats::MixtureSprt::Arm;

  struct Options {
    std::vector<double> steps = {0.1, 0.5};
    double alpha = 0.05;
    int64_t min_samples_per_step = 200;
    int64_t max_samples = 20000;        // feedbacks over both arms
    double max_error_rate = 0.05;
    int64_t min_guardrail_tasks = 20;
    double tau = 0.1;
    int64_t min_samples_per_arm = 30;   // before the test may decide
  };
  // From the deployment agent's settings(); `steps` of the request win when
  // given; a key left out takes the manifest schema's default.
  static Options OptionsFromSettings(const nlohmann::json& settings, const std::vector<double>& request_steps);

  enum class Action { kContinue, kAdvance, kPromote, kRollback };

  explicit RolloutPolicy(const Options& options);

  // One thumbs up (true) or down for an arm.
  Action OnFeedback(Arm arm, bool up);
  // One task answered by an arm; ok == false counts as an error.
  Action OnTaskResult(Arm arm, bool ok);

  double weight() const { return options_.steps[step_]; }  // the candidate's current share
  size_t step() const { return step_; }
  bool finished() const { return finished_; }
  // Why the last Action other than kContinue was taken.
  const std::string& reason() const { return reason_; }
  // Outcome (once finished), counts, rates, p-value and reason.
  v1::RolloutDecision Decision() const;
  std::string Describe() const;  // progress line for the agent's state
  const stats::MixtureSprt& test() const { return test_; }

 private:
  Action Finish(bool promote, std::string reason);
  std::string Rates() const;

  Options options_;
  stats::MixtureSprt test_;
  size_t step_ = 0;
  int64_t step_candidate_samples_ = 0;
  int64_t tasks_[2] = {0, 0}, errors_[2] = {0, 0};
  bool finished_ = false, promoted_ = false;
  std::string reason_;
};

}  // namespace kaizen::agents
