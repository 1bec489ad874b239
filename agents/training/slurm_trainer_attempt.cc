#include "agents/training/slurm_trainer_attempt.h"

#include <algorithm>
#include <memory>

#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

#include "agents/training/log_follower.h"
#include "runtime/base/clock.h"

namespace kaizen::agents {
namespace {

using slurm::JobInfo;
using slurm::JobState;

// What the factory keeps for all its attempts.
struct SlurmAttemptShared {
  SlurmTrainerOptions options;
  slurm::SlurmClient client;
};

class SlurmTrainerAttempt : public TrainerAttempt {
 public:
  SlurmTrainerAttempt(std::shared_ptr<const SlurmAttemptShared> shared, std::string job_id,
                      const TrainerAttemptRequest& request, std::string time_limit, LogFollower log)
      : shared_(std::move(shared)),
        options_(shared_->options),
        client_(shared_->client),
        id_(std::move(job_id)),
        version_(request.job.output_version),
        cycle_(request.job.cycle_id),
        time_limit_(std::move(time_limit)),
        log_(std::move(log)) {}

  ~SlurmTrainerAttempt() override {
    if (ended_) return;
    // The cycle was aborted or superseded, or the agent stops: no job is left behind.
    if (Status s = client_.Cancel(id_); !s.ok()) {
      spdlog::warn("cycle {}: cancelling Slurm job {} (training {}) failed: {}; cancel it with `scancel {}`",
                   cycle_, id_, version_, s.message(), id_);
    }
  }

  State Poll(const LineFn& on_line, const NoteFn& note) override {
    log_.Read(on_line);
    if (ended_) return end_state_;
    const int64_t now = options_.now_ms();
    if (queried_ && now - last_query_ms_ < options_.poll_interval_ms) return State::kRunning;
    queried_ = true;
    last_query_ms_ = now;
    auto job = client_.Query(id_);
    if (!job.ok()) return Unanswered(job.status(), note);
    if (misses_ >= options_.misses_before_note) {
      note(fmt::format("training {}: Slurm answers again (job {})", version_, id_));
    }
    misses_ = 0;
    return Seen(*job, on_line, note);
  }

  std::string Outcome() const override { return outcome_; }
  std::vector<std::string> Tail() const override { return log_.Tail(); }

 private:
  State Unanswered(const Status& s, const NoteFn& note) {
    if (s.code() == Status::Code::kNotFound) {
      // Purged (MinJobAge) before we saw it end: how it ended is unknown.
      return End(State::kFailed, fmt::format("training {}: Slurm job {} is no longer known to Slurm, its end "
                                             "unseen ({})",
                                             version_, id_, s.message()));
    }
    // A controller that does not answer is no verdict on the job: ask again next time.
    ++misses_;
    if (misses_ == options_.misses_before_note) {
      const std::string text = fmt::format("training {}: Slurm does not answer ({} tries in a row), still "
                                           "waiting for job {}: {}",
                                           version_, misses_, id_, s.message());
      spdlog::warn("cycle {}: {}", cycle_, text);
      note(text);
    }
    return State::kRunning;
  }

  State Seen(const JobInfo& j, const LineFn& on_line, const NoteFn& note) {
    const std::string why = j.reason.empty() || j.reason == "None" ? "" : " (reason: " + j.reason + ")";
    switch (j.state) {
      case JobState::kPending:
      case JobState::kRequeued:
        // The first moments of every job read Reason=None: worth no note.
        if (!why.empty() && j.reason != last_reason_) {
          note(fmt::format("training {}: pending in Slurm (reason: {}), job {}", version_, j.reason, id_));
        }
        last_reason_ = j.reason;
        return State::kRunning;
      case JobState::kRunning:
      case JobState::kCompleting:
        if (!running_noted_) {
          note(fmt::format("training {}: running as Slurm job {} on node {}", version_, id_, j.nodes));
          running_noted_ = true;
        }
        return State::kRunning;
      case JobState::kSuspended:
        if (!suspended_noted_) note(fmt::format("training {}: Slurm job {} is suspended", version_, id_));
        suspended_noted_ = true;
        return State::kRunning;
      case JobState::kCompleted:
        log_.Read(on_line);  // what it wrote last
        return End(State::kSucceeded, "");
      case JobState::kFailed:
        return End(State::kFailed, fmt::format("training {}: Slurm job {} {}", version_, id_,
                                               j.exit_signal != 0 && j.exit_code == 0
                                                   ? fmt::format("was killed by signal {}", j.exit_signal)
                                                   : fmt::format("exited with code {}", j.exit_code)));
      case JobState::kOutOfMemory:
        return End(State::kFailed, fmt::format("training {}: Slurm job {} ran out of memory (spec.training.slurm.mem)",
                                               version_, id_));
      case JobState::kTimeout:
        return End(State::kFailed, fmt::format("training {}: Slurm job {} reached Slurm's time limit (--time={}) and was "
                                               "stopped by Slurm (spec.training.slurm.time_limit, training.timeout_s)",
                                               version_, id_, time_limit_));
      case JobState::kDeadline:
        return End(State::kFailed, fmt::format("training {}: Slurm job {} reached its deadline{}", version_, id_, why));
      case JobState::kPreempted:
        return End(State::kInterrupted, fmt::format("training {}: Slurm job {} was preempted{}", version_, id_, why));
      case JobState::kNodeFail:
        return End(State::kInterrupted,
                   fmt::format("training {}: Slurm job {} ended with its node's failure (node_fail){}", version_, id_, why));
      case JobState::kBootFail:
        return End(State::kInterrupted,
                   fmt::format("training {}: Slurm job {} could not boot its node (boot_fail){}", version_, id_, why));
      case JobState::kCancelled:
        return End(State::kInterrupted,
                   fmt::format("training {}: Slurm job {} was cancelled (not by Kaizen){}", version_, id_, why));
      case JobState::kUnknown:
        return State::kRunning;
    }
    return State::kRunning;
  }

  State End(State state, std::string outcome) {
    ended_ = true;
    end_state_ = state;
    outcome_ = std::move(outcome);
    return state;
  }

  std::shared_ptr<const SlurmAttemptShared> shared_;  // the factory's; kept alive while an attempt runs
  const SlurmTrainerOptions& options_;
  const slurm::SlurmClient& client_;
  std::string id_, version_, cycle_, time_limit_;
  LogFollower log_;
  bool queried_ = false, ended_ = false, running_noted_ = false, suspended_noted_ = false;
  int64_t last_query_ms_ = 0;
  int misses_ = 0;
  std::string last_reason_;
  State end_state_ = State::kRunning;
  std::string outcome_;
};

}  // namespace

TrainerAttemptFactory SlurmTrainerAttempts(SlurmTrainerOptions options, slurm::SlurmClient client) {
  if (!options.now_ms) options.now_ms = MonoMs;
  auto shared = std::make_shared<SlurmAttemptShared>(SlurmAttemptShared{std::move(options), std::move(client)});
  return [shared](const TrainerAttemptRequest& r) -> Result<std::unique_ptr<TrainerAttempt>> {
    slurm::BatchSpec spec = shared->options.job;
    spec.name = "kaizen-train-" + r.job.cycle_id;
    spec.argv = r.argv;
    spec.output_path = r.job.log_path;
    if (spec.work_dir.empty()) spec.work_dir = r.job.state_dir;
    std::string limit = shared->options.time_limit;
    if (limit.empty()) limit = std::to_string(std::max<int64_t>(1, (r.timeout_s + 59) / 60));
    spec.time_limit = limit;
    // Ours first: a user's extra_args come after and win where they overlap.
    std::vector<std::string> args = {"--open-mode=append", "--no-requeue"};
    args.insert(args.end(), spec.extra_args.begin(), spec.extra_args.end());
    spec.extra_args = std::move(args);
    // Read only what this attempt appends (the log holds earlier attempts and our notes).
    LogFollower log(r.job.log_path, r.tail_lines);
    auto id = shared->client.Submit(spec);
    if (!id.ok()) return id.status().WithContext("submitting the trainer to Slurm: ");
    spdlog::info("cycle {}: training {} is Slurm job {} (attempt {})", r.job.cycle_id, r.job.output_version, *id,
                 r.attempt);
    return std::unique_ptr<TrainerAttempt>(
        std::make_unique<SlurmTrainerAttempt>(shared, *id, r, std::move(limit), std::move(log)));
  };
}

}  // namespace kaizen::agents
