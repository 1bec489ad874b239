// ProcessTrainer: the part of a Trainer shared by backends that train in a
// child process (the builtin `kaizen train-model`, a user's command). It
// watches the TrainerProcess, turns its progress lines into events and its
// result line into metrics, stops it at training.timeout_s, and starts it
// again from scratch when something else killed it by a signal (the OOM
// killer, an operator) up to training.retries times. A trainer that exits
// with an error is not retried: running it again would fail the same way.
//
// A subclass says how to start one attempt and where its model is.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agents/training/trainer.h"
#include "agents/training/trainer_process.h"

namespace kaizen::agents {

class ProcessTrainer : public Trainer {
 public:
  ~ProcessTrainer() override = default;
  Status Start(const TrainJob& job) final;
  State Poll(const TrainEvents& events) final;
  Status Failure() const final { return failure_; }
  Result<TrainedModel> Collect() final;
  int attempts() const final { return attempt_; }

 protected:
  ProcessTrainer(int64_t timeout_s, int retries) : timeout_s_(timeout_s), retries_(retries) {}
  const TrainJob& job() const { return job_; }
  bool collected() const { return collected_; }
  // Kills a child still running and discards a run that was not collected.
  // Every subclass calls it first in its destructor (Discard is its own).
  void Abandon();
  // Appends a line of our own to the run's log, between the child's.
  void Note(const std::string& text) const;
  // The command line of a fresh attempt (its own output paths).
  virtual Result<std::vector<std::string>> PrepareAttempt() = 0;
  // The finished attempt's model; `result` is its result line (may be null),
  // `last_progress` its last progress numbers (may be null).
  virtual Result<TrainedModel> Output(const nlohmann::json& result, const nlohmann::json& last_progress) = 0;
  // Removes what an attempt wrote: before a retry, after a failure, and when
  // the run is dropped uncollected. `failed`: keep what explains a failure.
  virtual void Discard(bool failed) = 0;

 private:
  void OnLine(const std::string& line, const TrainEvents& events);
  State Fail(const std::string& message);
  Status StartAttempt();

  TrainJob job_;
  int64_t timeout_s_;
  int retries_;
  int attempt_ = 0;
  std::unique_ptr<TrainerProcess> process_;
  nlohmann::json result_, last_progress_;
  Status failure_;
  bool collected_ = false;
};

}  // namespace kaizen::agents
