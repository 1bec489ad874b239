// TrainingAgent: answers the runtime's TrainRequest with a ModelReady.
//
// Requests follow the stage-job protocol (sdk/stage_jobs.h); the work is a
// Trainer (trainer.h) of the backend spec.training.backend names:
//   builtin: `kaizen train-model` (this binary) trains the built-in classifier;
//   command: the user's command template (command_trainer.h);
//   prompt:  a prompt search for an LLM worker (prompt_trainer.h).
// The agent polls the trainer every 100 ms, turns its progress into
// TrainProgress messages to the runtime and its state detail, stores the model
// it made as an artifact and answers; a failure is an Error with the log's last
// lines. The log is kept at <state_dir>/logs/train-<output_version>.log.
// A drain stops the run: it is not worth finishing on the way out, since the
// runtime re-sends the request to the restarted agent.
#pragma once

#include <memory>
#include <string>

#include "agents/sdk/agent.h"
#include "agents/sdk/stage_jobs.h"
#include "agents/training/trainer.h"
#include "agents/training/training_settings.h"

namespace kaizen::agents {

class TrainingAgent : public sdk::Agent {
 public:
  Status OnStart() override;
  void OnDrain() override { jobs_->Drain(); }

 private:
  struct Run {
    std::string cycle_id, version, base_version;
    std::unique_ptr<Trainer> trainer;
    int64_t started_ms = 0;
  };
  Status StartRun(const sdk::Envelope& request);
  void Poll();
  void OnProgress(const ProgressUpdate& update);
  void Finish();

  TrainingSettings settings_;
  TrainerLeftovers leftovers_;  // before run_: outlives every trainer
  std::unique_ptr<Run> run_;
  std::unique_ptr<sdk::StageJobs> jobs_;
};

}  // namespace kaizen::agents
