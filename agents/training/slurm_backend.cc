// The slurm backend: the builtin or command trainer (spec.training.slurm.trainer),
// each attempt a Slurm batch job (slurm_trainer_attempt.h) on spec.slurm's cluster.
// The prompt trainer runs in the agent's own process and has no Slurm form yet.
#include "agents/training/slurm_trainer_attempt.h"

#include <spdlog/spdlog.h>

namespace kaizen::agents {

std::string TrainingJobComment(const TrainingSettings& settings) {
  return slurm::KaizenJobComment(settings.cluster_name.empty() ? std::string("kaizen") : settings.cluster_name,
                                 settings.cluster_state_dir, "training");
}

Status CancelLeftoverTrainingJobs(const TrainingSettings& settings, slurm::CommandRunner runner) {
  const slurm::SlurmClient client({}, std::move(runner));
  auto jobs = client.ListByComment(TrainingJobComment(settings));
  if (!jobs.ok()) return jobs.status().WithContext("looking for training jobs left behind");
  for (const auto& job : *jobs) {
    if (slurm::IsFinal(job.state)) continue;
    spdlog::warn("cancelling Slurm job {} ({}): a training run an earlier training agent left behind", job.id,
                 job.name);
    if (Status s = client.Cancel(job.id); !s.ok()) return s.WithContext("cancelling leftover training job " + job.id);
  }
  return Status::OK();
}

std::unique_ptr<Trainer> MakeSlurmTrainer(const TrainingSettings& settings, slurm::CommandRunner runner) {
  SlurmTrainerOptions o;
  o.job.partition = settings.slurm_cluster.partition;
  o.job.account = settings.slurm_cluster.account;
  o.job.extra_args = settings.slurm_cluster.extra_args;
  o.job.cpus = settings.slurm.cpus;
  o.job.mem = settings.slurm.mem;
  o.job.gres = settings.slurm.gres;
  // Its own comment, apart from the agents' jobs, so the launcher never takes
  // a trainer for an agent; `squeue -o %k` finds both.
  o.job.comment = TrainingJobComment(settings);
  o.time_limit = settings.slurm.time_limit;
  o.poll_interval_ms = settings.slurm_cluster.poll_interval_ms;
  auto attempts = SlurmTrainerAttempts(std::move(o), slurm::SlurmClient({}, std::move(runner)));
  if (settings.slurm.trainer == SlurmTrainerKind::kCommand) return MakeCommandTrainer(settings, std::move(attempts));
  return MakeBuiltinTrainer(settings, std::move(attempts));
}

}  // namespace kaizen::agents
