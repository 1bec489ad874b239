// Local attempts: the trainer as a child process (TrainerProcess).
#include <sys/wait.h>

#include <spdlog/fmt/fmt.h>

#include "agents/training/trainer_process.h"
#include "agents/training/trainer_attempt.h"

namespace kaizen::agents {
namespace {

class LocalTrainerAttempt : public TrainerAttempt {
 public:
  LocalTrainerAttempt(std::unique_ptr<TrainerProcess> process, std::string version, int64_t timeout_s)
      : process_(std::move(process)), version_(std::move(version)), timeout_s_(timeout_s) {}

  State Poll(const LineFn& on_line, const NoteFn&) override {
    TrainerProcess& p = *process_;
    switch (p.Poll(on_line)) {
      case TrainerProcess::State::kRunning:
        return State::kRunning;
      case TrainerProcess::State::kExited:
        if (p.succeeded()) return State::kSucceeded;
        outcome_ = fmt::format("the trainer for {} {}", version_, p.DescribeExit());
        // A signal it did not ask for (the OOM killer, an operator): worth
        // another try. An error exit would fail the same way again.
        return WIFSIGNALED(p.wait_status()) ? State::kInterrupted : State::kFailed;
      case TrainerProcess::State::kTimedOut:
        outcome_ = fmt::format("training {} took longer than training.timeout_s ({} s) and was stopped", version_,
                               timeout_s_);
        return State::kFailed;
      case TrainerProcess::State::kLost:
        outcome_ = "the trainer process vanished (pid not our child any more)";
        return State::kFailed;
    }
    return State::kRunning;
  }
  std::string Outcome() const override { return outcome_; }
  std::vector<std::string> Tail() const override { return process_->Tail(); }

 private:
  std::unique_ptr<TrainerProcess> process_;  // its destructor kills a child still running
  std::string version_;
  int64_t timeout_s_;
  std::string outcome_;
};

}  // namespace

TrainerAttemptFactory LocalTrainerAttempts() {
  return [](const TrainerAttemptRequest& r) -> Result<std::unique_ptr<TrainerAttempt>> {
    auto p = TrainerProcess::Start(r.argv, r.job.log_path, int64_t{1000} * r.timeout_s, r.tail_lines);
    if (!p.ok()) return p.status();
    return std::unique_ptr<TrainerAttempt>(
        std::make_unique<LocalTrainerAttempt>(std::move(*p), r.job.output_version, r.timeout_s));
  };
}

}  // namespace kaizen::agents
