// ProcessTrainer: the part of a Trainer shared by backends that train in a
// separate process (the builtin `kaizen train-model`, a user's command). It
// watches the attempt, turns its progress lines into events and its result
// line into metrics, and starts it again from scratch when something else
// ended it (a signal from the OOM killer or an operator; Slurm's preemption or
// an outside scancel) up to training.retries times. A trainer that exits with
// an error is not retried: running it again would fail the same way. The
// attempt enforces training.timeout_s (a local child is killed; a Slurm job
// gets it as its time limit).
//
// Where an attempt runs is the TrainerAttemptFactory's business (trainer_attempt.h):
// a local child process, or a Slurm batch job. A subclass says how to start
// one attempt and where its model is.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agents/training/trainer.h"
#include "agents/training/trainer_attempt.h"

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
  ProcessTrainer(int64_t timeout_s, int retries, TrainerAttemptFactory attempts)
      : timeout_s_(timeout_s), retries_(retries), attempts_(std::move(attempts)) {}
  const TrainJob& job() const { return job_; }
  bool collected() const { return collected_; }
  // Stops an attempt still running and discards a run that was not collected.
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
  TrainerAttemptFactory attempts_;
  std::unique_ptr<TrainerAttempt> current_;
  nlohmann::json result_, last_progress_;
  Status failure_;
  bool collected_ = false;
};

}  // namespace kaizen::agents
