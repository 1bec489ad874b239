// TrainerAttempt: one attempt of a trainer command (the builtin `kaizen
// train-model`, a user's command), wherever it runs. ProcessTrainer starts
// attempts through a TrainerAttemptFactory and handles what they report the same
// way for each: progress lines from the run's log, success, failure, and an
// interruption from outside that is worth starting again. Two kinds:
//   local (LocalTrainerAttempts): a child process of the training agent;
//   slurm (slurm_trainer_attempt.h): a Slurm batch job.
// Destroying a run that is still going stops it (the child is killed, the
// job cancelled): no trainer outlives its owner's interest in it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "agents/training/trainer.h"
#include "runtime/base/result.h"

namespace kaizen::agents {

class TrainerAttempt {
 public:
  enum class State {
    kRunning,
    kSucceeded,
    kFailed,       // ended badly on its own (an exit code, a time limit): not retried
    kInterrupted,  // ended by something else (a signal, Slurm's preemption): worth a new attempt
  };
  using LineFn = std::function<void(const std::string& line)>;
  using NoteFn = std::function<void(const std::string& detail)>;

  virtual ~TrainerAttempt() = default;
  // Never blocks longer than one short command. Reads the log lines written
  // since the last call (each to on_line), then checks the run; `note` gets
  // state details worth showing (a Slurm job pending, and why).
  virtual State Poll(const LineFn& on_line, const NoteFn& note) = 0;
  // What happened, once kFailed or kInterrupted: a clause an operator reads,
  // e.g. "the trainer for v2 exited with code 3".
  virtual std::string Outcome() const = 0;
  // The log's last lines.
  virtual std::vector<std::string> Tail() const = 0;
};

struct TrainerAttemptRequest {
  std::vector<std::string> argv;  // argv[0] an absolute path
  TrainJob job;                   // the run's job: its log, cycle, versions
  int attempt = 1;
  int64_t timeout_s = 0;          // training.timeout_s
  std::size_t tail_lines = 5;
};

using TrainerAttemptFactory = std::function<Result<std::unique_ptr<TrainerAttempt>>(const TrainerAttemptRequest& request)>;

// Attempts as child processes of the training agent (trainer_process.h).
TrainerAttemptFactory LocalTrainerAttempts();

// The builtin and command backends with their attempts made by `runs`
// (MakeBuiltinTrainer(settings) is MakeBuiltinTrainer(settings, LocalTrainerAttempts())).
std::unique_ptr<Trainer> MakeBuiltinTrainer(const TrainingSettings& settings, TrainerAttemptFactory runs);
std::unique_ptr<Trainer> MakeCommandTrainer(const TrainingSettings& settings, TrainerAttemptFactory runs);

}  // namespace kaizen::agents
