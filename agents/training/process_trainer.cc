#include "agents/training/process_trainer.h"

#include <sys/wait.h>

#include <filesystem>
#include <fstream>

#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

namespace kaizen::agents {
namespace {

constexpr std::size_t kTailLines = 5;

}  // namespace

void ProcessTrainer::Note(const std::string& text) const {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(job_.log_path).parent_path(), ec);
  std::ofstream(job_.log_path, std::ios::app) << "# kaizen: " << text << "\n";
}

void ProcessTrainer::Abandon() {
  process_.reset();  // kills a child still running
  if (!collected_ && attempt_ > 0 && failure_.ok()) Discard(/*failed=*/false);
}

Status ProcessTrainer::Start(const TrainJob& job) {
  job_ = job;
  return StartAttempt();
}

Status ProcessTrainer::StartAttempt() {
  ++attempt_;
  result_ = nlohmann::json();
  last_progress_ = nlohmann::json();
  auto argv = PrepareAttempt();
  if (!argv.ok()) return argv.status();
  auto p = TrainerProcess::Start(*argv, job_.log_path, int64_t{1000} * timeout_s_, kTailLines);
  if (!p.ok()) return Status::Internal("cannot start the trainer: " + p.status().message());
  process_ = std::move(*p);
  return Status::OK();
}

void ProcessTrainer::OnLine(const std::string& line, const TrainEvents& events) {
  if (auto result = ParseResultLine(line)) {
    result_ = std::move(*result);
    return;
  }
  auto u = ParseProgressLine(line);
  if (!u) return;
  last_progress_ = nlohmann::json{{"fraction", u->fraction}};
  if (u->loss) last_progress_["loss"] = *u->loss;
  for (const auto& [k, v] : u->values) last_progress_[k] = v;
  events.progress(*u);
}

Trainer::State ProcessTrainer::Poll(const TrainEvents& events) {
  if (!failure_.ok()) return State::kFailed;
  if (!process_) return State::kSucceeded;
  TrainerProcess& p = *process_;
  switch (p.Poll([&](const std::string& line) { OnLine(line, events); })) {
    case TrainerProcess::State::kRunning:
      return State::kRunning;
    case TrainerProcess::State::kExited:
      if (p.succeeded()) return State::kSucceeded;
      if (WIFSIGNALED(p.wait_status()) && attempt_ <= retries_) {
        const std::string message =
            fmt::format("the trainer for {} {}; starting it again (attempt {} of {})", job_.output_version,
                        p.DescribeExit(), attempt_ + 1, retries_ + 1);
        spdlog::warn("cycle {}: {}", job_.cycle_id, message);
        Note(message);
        process_.reset();
        Discard(/*failed=*/false);
        if (Status s = StartAttempt(); !s.ok()) {
          return Fail("restarting the trainer for " + job_.output_version + " failed: " + s.message());
        }
        events.note(fmt::format("training {}: restarted (attempt {})", job_.output_version, attempt_));
        return State::kRunning;
      }
      return Fail(fmt::format("the trainer for {} {}", job_.output_version, p.DescribeExit()));
    case TrainerProcess::State::kTimedOut:
      return Fail(fmt::format("training {} took longer than training.timeout_s ({} s) and was stopped",
                              job_.output_version, timeout_s_));
    case TrainerProcess::State::kLost:
      return Fail("the trainer process vanished (pid not our child any more)");
  }
  return State::kRunning;
}

Trainer::State ProcessTrainer::Fail(const std::string& message) {
  std::string text = message;
  auto tail = process_ ? process_->Tail() : std::vector<std::string>{};
  if (!tail.empty()) {
    text += "; last log lines (" + job_.log_path + "):";
    for (const auto& l : tail) text += "\n  " + l;
  }
  failure_ = Status::Internal(text);
  process_.reset();
  Discard(/*failed=*/true);
  return State::kFailed;
}

Result<TrainedModel> ProcessTrainer::Collect() {
  collected_ = true;
  auto model = Output(result_, last_progress_);
  if (!model.ok()) {
    Discard(/*failed=*/true);
    return model.status();
  }
  if (!model->metrics.is_object()) model->metrics = nlohmann::json::object();
  return model;
}

}  // namespace kaizen::agents
