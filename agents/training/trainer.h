// Trainer: one training backend behind the training agent. The agent owns the
// stage-job protocol (sdk/stage_jobs.h), the artifact store and the messages;
// a Trainer only turns a base model and a dataset into a model file:
//
//   Start(job) -> Poll(events) ... until not kRunning -> Collect() or Failure()
//
// Poll never blocks: the agent calls it every 100 ms on its loop thread.
// Progress and notes reach the agent through TrainEvents. Destroying a
// Trainer stops what still runs (a child process is killed, a search is told
// to stop) and removes the files of a run that was not collected, except what
// helps to find out why a run failed (a command's work dir).
//
// Adding a backend: a class implementing this interface in its own file, a
// name in spec.training.backend (config/manifest_schema.cc), TrainingBackend
// (training_settings.h) and a case in MakeTrainer (trainer.cc).
#pragma once

#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agents/training/progress_line.h"
#include "agents/training/training_settings.h"
#include "runtime/base/result.h"
#include "runtime/base/status.h"

namespace kaizen::agents {

struct TrainJob {
  std::string cycle_id;
  std::string base_version, base_path;  // the incumbent: its version and local file
  std::string dataset_path;             // the cycle's dataset (JSONL, rows with "split")
  std::string output_version;           // the version the model is registered as
  std::string log_path;                 // the run's log; trainers append to it
  std::string state_dir;                // scratch goes under <state_dir>/artifacts/tmp or /training
  // Prompt change bounds from the TrainRequest (runtime/safety/prompt_change.h);
  // trainers that change a prompt stay within them, others ignore them.
  std::optional<double> max_prompt_change, max_drift_from_anchor;
  std::string anchor_version, anchor_path;  // the anchor's version and local file ("" when none)
  std::string strategy;                     // the plan's (TrainRequest.strategy); "" = the backend's default
};

struct TrainEvents {
  // A progress report: sent to the runtime as TrainProgress and shown.
  std::function<void(const ProgressUpdate& update)> progress;
  // A state detail only (e.g. "restarted (attempt 2)").
  std::function<void(const std::string& detail)> note;
};

struct TrainedModel {
  std::string path;          // the model file; the agent moves it into the artifact store
  std::string ext;           // its artifact extension
  std::string holdout_path;  // a refit's holdout twin, which evaluation judges; "" when none
  nlohmann::json metrics;    // recorded with the model (the backend adds its own keys)
};

class Trainer {
 public:
  enum class State { kRunning, kSucceeded, kFailed };

  virtual ~Trainer() = default;
  // InvalidArgument or NotFound: the request cannot be trained (a bad
  // template, unreadable data); anything else is the trainer's fault.
  virtual Status Start(const TrainJob& job) = 0;
  virtual State Poll(const TrainEvents& events) = 0;
  // Why the run failed (kFailed), with the log's last lines where there are any.
  virtual Status Failure() const = 0;
  // The finished run's model (kSucceeded); called once.
  virtual Result<TrainedModel> Collect() = 0;
  // How many starts the run took (retries after an outside kill count).
  virtual int attempts() const { return 1; }
};

// Work a stopped trainer cannot end at once (a prompt search's HTTP calls in
// flight end within their timeout). The training agent keeps it: finished
// work is dropped as it polls, and its destructor waits for the rest, so no
// thread outlives the agent. Declare it before the trainers that use it.
class TrainerLeftovers {
 public:
  TrainerLeftovers() = default;
  ~TrainerLeftovers();
  TrainerLeftovers(const TrainerLeftovers&) = delete;
  TrainerLeftovers& operator=(const TrainerLeftovers&) = delete;
  void Add(std::future<void> work);
  void DropFinished();

 private:
  std::vector<std::future<void>> work_;
};

// The backend spec.training.backend names; one file each.
std::unique_ptr<Trainer> MakeTrainer(const TrainingSettings& settings, TrainerLeftovers& leftovers);
std::unique_ptr<Trainer> MakeBuiltinTrainer(const TrainingSettings& settings);
std::unique_ptr<Trainer> MakeCommandTrainer(const TrainingSettings& settings);
std::unique_ptr<Trainer> MakePromptTrainer(const TrainingSettings& settings, TrainerLeftovers& leftovers);
// slurm: builtin or command as Slurm batch jobs (slurm_trainer_attempt.h, which declares MakeSlurmTrainer).

}  // namespace kaizen::agents
