// SlurmLauncher: agents as Slurm batch jobs; see slurm_launcher.h.
#include "runtime/supervisor/slurm_launcher.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <set>

#include <spdlog/spdlog.h>

#include "runtime/base/clock.h"

namespace kaizen::supervisor {
namespace {

std::string JobName(const std::string& job_id) { return "Slurm job " + job_id; }

std::string CurrentDir() {
  std::error_code ec;
  auto p = std::filesystem::current_path(ec);
  return ec ? std::string() : p.string();
}

}  // namespace

std::string DescribeJobEnd(const slurm::JobInfo& job, bool* clean) {
  using slurm::JobState;
  const std::string j = JobName(job.id);
  *clean = false;
  switch (job.state) {
    case JobState::kCompleted:
      *clean = job.exit_code == 0 && job.exit_signal == 0;
      return j + " exited with code " + std::to_string(job.exit_code);
    case JobState::kFailed:
      if (job.exit_signal != 0) {
        std::string d = j + " failed: killed by signal " + std::to_string(job.exit_signal);
        if (const char* abbrev = sigabbrev_np(job.exit_signal)) d += std::string(" (SIG") + abbrev + ")";
        return d;
      }
      return j + " failed: exited with code " + std::to_string(job.exit_code);
    case JobState::kCancelled: return j + " was cancelled";
    case JobState::kTimeout: return j + " ended at its time limit";
    case JobState::kPreempted: return j + " was preempted";
    case JobState::kNodeFail:
      return j + " ended: its node failed" + (job.nodes.empty() ? std::string() : " (" + job.nodes + ")");
    case JobState::kOutOfMemory: return j + " ran out of memory";
    case JobState::kBootFail: return j + " ended: its node failed to boot";
    case JobState::kDeadline: return j + " ended at its deadline";
    default: return j + " ended (" + slurm::JobStateName(job.state) + ")";
  }
}

SlurmLauncher::SlurmLauncher(Options options, slurm::SlurmClient client)
    : options_(std::move(options)),
      client_(std::move(client)),
      comment_(slurm::KaizenJobComment(options_.cluster, options_.state_dir)) {
  if (options_.work_dir.empty()) options_.work_dir = CurrentDir();
}

SlurmLauncher::~SlurmLauncher() {
  std::vector<std::string> left = abandoned_;
  for (const auto& [id, job] : jobs_) left.push_back(job.job_id);
  for (size_t i = 0; i < left.size(); ++i) {
    Status s = client_.Cancel(left[i]);
    if (s.ok()) continue;
    // One command's timeout per job could hold the runtime's exit for
    // minutes when Slurm is gone; say what is left instead.
    std::string rest;
    for (size_t k = i; k < left.size(); ++k) rest += (rest.empty() ? "" : " ") + left[k];
    spdlog::error("cannot cancel Slurm job {} ({}); these jobs may still run: scancel {}", left[i], s.ToString(),
                  rest);
    return;
  }
}

slurm::BatchSpec SlurmLauncher::BatchFor(const ChildSpec& spec) const {
  slurm::BatchSpec b;
  b.name = "kaizen-" + options_.cluster + "-" + spec.id;
  b.argv = spec.argv;
  b.output_path = spec.log_path;
  b.work_dir = options_.work_dir;
  b.partition = options_.slurm.partition;
  b.account = options_.slurm.account;
  b.time_limit = options_.slurm.time_limit;
  b.cpus = spec.resources.cpus;
  b.mem = spec.resources.mem;
  b.gres = spec.resources.gres;
  b.comment = comment_;
  // The Supervisor resubmits by its own policy, the one place restarts are
  // decided: a job Slurm requeued by itself (on preemption or a node failure;
  // clusters default to JobRequeue=1) would run beside its successor.
  b.requeue = false;
  b.extra_args.push_back("--no-requeue");
  // A restarted agent's output goes on after its predecessor's, as a forked
  // one's does (sbatch truncates --output by default).
  b.extra_args.push_back("--open-mode=append");
  b.extra_args.insert(b.extra_args.end(), options_.slurm.extra_args.begin(), options_.slurm.extra_args.end());
  return b;
}

Result<std::vector<slurm::JobInfo>> SlurmLauncher::CancelLeftovers() {
  auto listed = client_.ListByComment(comment_);
  if (!listed.ok()) return listed.status().WithContext("looking for jobs an earlier runtime left in Slurm");
  std::vector<slurm::JobInfo> cancelled;
  for (const auto& job : *listed) {
    if (slurm::IsFinal(job.state)) continue;
    Status s = client_.Cancel(job.id);
    if (!s.ok()) return s.WithContext("cancelling Slurm job " + job.id + " (" + job.name + ") an earlier runtime left");
    cancelled.push_back(job);
  }
  if (cancelled.empty()) return cancelled;
  // Wait (bounded) until they have ended: an old agent still connected when
  // its successor registers would answer in its place.
  std::set<std::string> waiting;
  for (const auto& j : cancelled) waiting.insert(j.id);
  const int64_t deadline = MonoMs() + options_.cancel_wait_ms;
  while (!waiting.empty()) {
    auto now = client_.ListByComment(comment_);
    if (now.ok()) {
      std::set<std::string> still;
      for (const auto& job : *now) {
        if (waiting.count(job.id) && !slurm::IsFinal(job.state)) still.insert(job.id);
      }
      waiting.swap(still);  // not listed any more: gone
    }
    if (waiting.empty() || MonoMs() >= deadline) break;
    ::usleep(100 * 1000);
  }
  if (!waiting.empty()) {
    std::string ids;
    for (const auto& id : waiting) ids += (ids.empty() ? "" : " ") + id;
    spdlog::warn("Slurm jobs {} left by an earlier runtime were cancelled but have not ended after {} ms", ids,
                 options_.cancel_wait_ms);
  }
  return cancelled;
}

Result<Launched> SlurmLauncher::Launch(const ChildSpec& spec) {
  if (stopping_) return Status::FailedPrecondition("the Slurm launcher is stopping");
  auto job_id = client_.Submit(BatchFor(spec));
  if (!job_id.ok()) return job_id.status();
  Job& job = jobs_[spec.id];
  job = Job{};
  job.job_id = *job_id;
  Launched l;
  l.running = false;
  l.job_id = *job_id;
  l.detail = JobName(*job_id) + " submitted";
  // Look soon: a job on an idle cluster starts within a second.
  next_poll_ms_ = 0;
  return l;
}

int64_t SlurmLauncher::MsUntilPoll(int64_t now_ms) const {
  if (jobs_.empty()) return -1;
  return std::max<int64_t>(0, next_poll_ms_ - now_ms);
}

void SlurmLauncher::LogUnreachable(const Status& s, int64_t now_ms) {
  ++unreachable_count_;
  if (unreachable_logged_ms_ >= 0 && now_ms - unreachable_logged_ms_ < options_.unavailable_log_interval_ms) return;
  unreachable_logged_ms_ = now_ms;
  spdlog::warn("cannot read the state of {} Slurm job(s) ({} failed polls so far): {}; trying again", jobs_.size(),
               unreachable_count_, s.ToString());
}

std::vector<LaunchUpdate> SlurmLauncher::Poll(int64_t now_ms) {
  std::vector<LaunchUpdate> updates;
  if (jobs_.empty() || now_ms < next_poll_ms_) return updates;
  next_poll_ms_ = now_ms + std::max<int64_t>(1, options_.slurm.poll_interval_ms);

  auto listed = client_.ListByComment(comment_);
  if (!listed.ok()) {
    LogUnreachable(listed.status(), now_ms);
  } else {
    if (unreachable_count_ > 0) spdlog::info("Slurm answers again");
    unreachable_count_ = 0;
    unreachable_logged_ms_ = -1;
    std::map<std::string, const slurm::JobInfo*> by_id;
    for (const auto& info : *listed) by_id[info.id] = &info;
    std::set<std::string> ours;
    for (auto it = jobs_.begin(); it != jobs_.end();) {
      const std::string& id = it->first;
      Job& job = it->second;
      ours.insert(job.job_id);
      auto found = by_id.find(job.job_id);
      LaunchUpdate u;
      u.id = id;
      u.job_id = job.job_id;
      if (found == by_id.end()) {
        // Slurm forgets ended jobs after MinJobAge; it cannot run any more.
        u.kind = LaunchUpdate::Kind::kEnded;
        u.detail = JobName(job.job_id) + " is no longer known to Slurm";
        updates.push_back(std::move(u));
        it = jobs_.erase(it);
        continue;
      }
      const slurm::JobInfo& info = *found->second;
      if (slurm::IsFinal(info.state)) {
        u.kind = LaunchUpdate::Kind::kEnded;
        u.node = info.nodes;
        u.detail = DescribeJobEnd(info, &u.clean);
        updates.push_back(std::move(u));
        it = jobs_.erase(it);
        continue;
      }
      switch (info.state) {
        case slurm::JobState::kPending:
        case slurm::JobState::kRequeued:
          // Queued again after it ran (someone requeued it), or a new reason.
          if (job.running || job.reason != info.reason) {
            job.running = false;
            job.node.clear();
            job.reason = info.reason;
            u.kind = LaunchUpdate::Kind::kQueued;
            u.detail = JobName(job.job_id) + " pending (reason: " + (info.reason.empty() ? "None" : info.reason) + ")";
            updates.push_back(std::move(u));
          }
          break;
        case slurm::JobState::kRunning:
        case slurm::JobState::kSuspended:
        case slurm::JobState::kCompleting:
          if (!job.running) {
            job.running = true;
            job.node = info.nodes;
            job.reason.clear();
            u.kind = LaunchUpdate::Kind::kRunning;
            u.node = info.nodes;
            u.detail = JobName(job.job_id) + " running on " + (info.nodes.empty() ? "?" : info.nodes);
            updates.push_back(std::move(u));
          }
          break;
        default:
          break;  // a state this launcher does not act on: look again next poll
      }
      ++it;
    }
    // A job with our comment we do not follow: an sbatch that timed out after
    // Slurm took the job. Two agents with one id must not run.
    for (const auto& info : *listed) {
      if (ours.count(info.id) || slurm::IsFinal(info.state)) continue;
      if (std::find(abandoned_.begin(), abandoned_.end(), info.id) != abandoned_.end()) continue;
      spdlog::warn("cancelling Slurm job {} ({}): it carries this runtime's comment but is none of its agents", info.id,
                   info.name);
      Status s = client_.Cancel(info.id);
      if (!s.ok()) spdlog::warn("cannot cancel Slurm job {}: {}", info.id, s.ToString());
    }
  }
  // A shutdown always finishes: jobs Slurm does not report ended in time after
  // scancel are given up on here (and cancelled again on destruction).
  for (auto it = jobs_.begin(); it != jobs_.end();) {
    const Job& job = it->second;
    if (job.hard_cancel_ms < 0 || now_ms - job.hard_cancel_ms < options_.cancel_wait_ms) {
      ++it;
      continue;
    }
    LaunchUpdate u;
    u.kind = LaunchUpdate::Kind::kEnded;
    u.id = it->first;
    u.job_id = job.job_id;
    u.detail = JobName(job.job_id) + " not seen ending within " + std::to_string(options_.cancel_wait_ms) +
               " ms of scancel; left to Slurm";
    spdlog::warn("{}", u.detail);
    abandoned_.push_back(job.job_id);
    updates.push_back(std::move(u));
    it = jobs_.erase(it);
  }
  return updates;
}

void SlurmLauncher::Cancel(const std::string& id, const Job& job, int sig) {
  // SIGKILL: scancel (Slurm signals the job and, after its KillWait, kills
  // it). Another signal is passed on to the job's processes (--full: the
  // batch shell too, which is the agent: the script execs it).
  // A pending job has no process to signal: it is cancelled.
  const int signal = sig == SIGKILL || !job.running ? 0 : sig;
  Status s = client_.Cancel(job.job_id, signal);
  if (!s.ok()) spdlog::warn("cannot signal agent {} (Slurm job {}): {}", id, job.job_id, s.ToString());
}

void SlurmLauncher::Signal(const std::string& id, int sig) {
  auto it = jobs_.find(id);
  if (it == jobs_.end()) return;
  Cancel(id, it->second, sig);
}

void SlurmLauncher::StopAll(int sig) {
  stopping_ = true;
  const int64_t now = MonoMs();
  for (auto& [id, job] : jobs_) {
    Cancel(id, job, sig);
    if (sig == SIGKILL && job.hard_cancel_ms < 0) job.hard_cancel_ms = now;
  }
  next_poll_ms_ = 0;
}

}  // namespace kaizen::supervisor
