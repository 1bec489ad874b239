// SlurmLauncher: an agent as a Slurm batch job (spec.<role>.placement: slurm,
// or spec.runtime.launcher: slurm). It submits the same command line a forked
// agent gets, follows every job with one Slurm command per poll interval, and
// reports a job's queueing, start and end to the Supervisor, which restarts by
// its own policy (so jobs are never submitted with --requeue).
//
// Every job of a runtime carries the same comment, naming the cluster and its
// state dir: a runtime killed with -9 leaves jobs a later one finds by it
// (CancelLeftovers) and cancels; a job with that comment the launcher does
// not follow (say an sbatch that timed out after Slurm took the job) is
// cancelled when a poll sees it.
//
// Slurm unreachable (Unavailable, Timeout, any failed poll) is never taken
// for the end of a job: it is logged (at most once per unavailable_log_interval_ms) and the
// next poll tries again. After StopAll(SIGKILL) a job that Slurm does not
// report ended within cancel_wait_ms is reported ended anyway (and cancelled
// once more when the launcher is destroyed), so a shutdown always finishes.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "config/manifest.h"
#include "runtime/slurm/slurm_client.h"
#include "runtime/supervisor/child_launcher.h"

namespace kaizen::supervisor {

class SlurmLauncher : public ChildLauncher {
 public:
  struct Options {
    std::string cluster;           // the manifest's name: job names kaizen-<cluster>-<agent id>
    std::string state_dir;         // with the cluster, identifies this runtime's jobs (the comment)
    config::SlurmSpec slurm;       // partition, account, time limit, poll interval, extra sbatch args
    std::string work_dir;          // --chdir; "" = the runtime's current directory
    int64_t cancel_wait_ms = 5000;  // after StopAll(SIGKILL): how long jobs get to end
    int64_t unavailable_log_interval_ms = 30000;
  };
  SlurmLauncher(Options options, slurm::SlurmClient client);
  // scancels every job not yet seen ended (stops at the first that cannot be
  // cancelled because Slurm is unreachable, and logs which jobs may remain).
  ~SlurmLauncher() override;
  SlurmLauncher(const SlurmLauncher&) = delete;
  SlurmLauncher& operator=(const SlurmLauncher&) = delete;

  // The comment this runtime's jobs carry: slurm::KaizenJobComment(cluster, state dir).
  const std::string& comment() const { return comment_; }

  // Before the first Launch: cancels every job Slurm still has with this
  // runtime's comment that has not ended (left by a runtime killed with -9),
  // and waits up to cancel_wait_ms for them to end, so an old agent never
  // meets its successor on the bus. Returns the jobs it cancelled; an error
  // when Slurm cannot be asked.
  Result<std::vector<slurm::JobInfo>> CancelLeftovers();

  // sbatch: Launched{running=false, job_id, "Slurm job 42 submitted"}.
  Result<Launched> Launch(const ChildSpec& spec) override;
  // Every poll interval, one command for all jobs: kQueued when a job's
  // pending reason changes, kRunning when it starts, kEnded when it has ended
  // or Slurm no longer knows it.
  std::vector<LaunchUpdate> Poll(int64_t now_ms) override;
  int64_t MsUntilPoll(int64_t now_ms) const override;
  // SIGKILL: scancel. Another signal: scancel --signal (SIGTERM: the agent
  // drains); a job still pending is cancelled whatever the signal.
  void Signal(const std::string& id, int sig) override;
  void StopAll(int sig) override;

  // The batch job a ChildSpec becomes (public for tests).
  slurm::BatchSpec BatchFor(const ChildSpec& spec) const;

 private:
  struct Job {
    std::string job_id;
    bool running = false;
    std::string node;
    std::string reason;             // the last pending reason reported
    int64_t hard_cancel_ms = -1;    // MonoMs of StopAll(SIGKILL), -1 if none
  };
  void Cancel(const std::string& id, const Job& job, int sig);
  void LogUnreachable(const Status& s, int64_t now_ms);

  Options options_;
  slurm::SlurmClient client_;
  std::string comment_;
  std::map<std::string, Job> jobs_;  // by child id
  std::vector<std::string> abandoned_;  // job ids reported ended without Slurm saying so
  bool stopping_ = false;
  int64_t next_poll_ms_ = 0;
  int64_t unreachable_logged_ms_ = -1;
  uint64_t unreachable_count_ = 0;
};

// What a job that ended became, in words: "Slurm job 42 was cancelled",
// "Slurm job 42 ended at its time limit", "Slurm job 42 failed: exited with
// code 3". *clean: completed with exit code 0.
std::string DescribeJobEnd(const slurm::JobInfo& job, bool* clean);

}  // namespace kaizen::supervisor
