// Slurm attempts: one trainer attempt as a Slurm batch job (the slurm
// training backend, spec.training.backend: slurm).
//
// The job runs the same command line a local attempt would, with its output
// appended to the run's log (--open-mode=append), which is followed as a
// local child's is: the state directory must be on a filesystem the job's
// node shares. Slurm's answer is read every poll_interval_ms (the log at
// every Poll), one scontrol call at most per Poll:
//   pending    -> a note "training v2: pending in Slurm (reason: Resources)", again when the reason changes
//   running    -> a note "training v2: running as Slurm job 42 on node X"
//   completed  -> succeeded
//   failed, out_of_memory, timeout, deadline -> failed, saying which (an exit code, Slurm's time limit)
//   preempted, node_fail, boot_fail, cancelled -> interrupted (Kaizen cancels only by destroying the
//                 attempt, so a cancel seen here came from someone else): ProcessTrainer starts a new job
//                 up to training.retries times
//   Unavailable (controller unreachable, slow) -> still running; a note after a few misses in a row
// Jobs are submitted with --no-requeue: a preempted job ends, and the new
// attempt is counted, instead of Slurm requeueing it behind our back.
// Destroying an attempt whose job has not ended cancels it (scancel).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "agents/training/trainer_attempt.h"
#include "runtime/slurm/slurm_client.h"

namespace kaizen::agents {

struct SlurmTrainerOptions {
  // partition, account, cpus, mem, gres, comment, extra_args: as given to every job.
  slurm::BatchSpec job;
  std::string time_limit;         // --time; "" = timeout_s rounded up to minutes
  int64_t poll_interval_ms = 1000;
  int misses_before_note = 3;     // Slurm queries failing in a row before a note says so
  std::function<int64_t()> now_ms;  // default MonoMs (tests step it)
};

TrainerAttemptFactory SlurmTrainerAttempts(SlurmTrainerOptions options, slurm::SlurmClient client);

// The slurm backend: the trainer spec.training.slurm.trainer names (builtin
// or command), its attempts as Slurm jobs of spec.slurm's cluster.
std::unique_ptr<Trainer> MakeSlurmTrainer(const TrainingSettings& settings,
                                          slurm::CommandRunner runner = slurm::SystemCommandRunner());

// The comment its runs carry: slurm::KaizenJobComment(cluster, state dir, "training").
std::string TrainingJobComment(const TrainingSettings& settings);
// Cancels the runs a training agent killed with -9 left in Slurm (there is
// one training agent per cluster: none of them is still wanted). Called when
// the agent starts; an error says why Slurm could not be asked.
Status CancelLeftoverTrainingJobs(const TrainingSettings& settings,
                                  slurm::CommandRunner runner = slurm::SystemCommandRunner());

}  // namespace kaizen::agents
