#include "agents/training/process_trainer.h"

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
  current_.reset();  // stops an attempt still running (kills the child, cancels the job)
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
  auto run = attempts_(TrainerAttemptRequest{*argv, job_, attempt_, timeout_s_, kTailLines});
  if (!run.ok()) return Status::Internal("cannot start the trainer: " + run.status().message());
  current_ = std::move(*run);
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
  if (!current_) return State::kSucceeded;
  auto note = [&](const std::string& detail) {
    if (events.note) events.note(detail);
  };
  switch (current_->Poll([&](const std::string& line) { OnLine(line, events); }, note)) {
    case TrainerAttempt::State::kRunning:
      return State::kRunning;
    case TrainerAttempt::State::kSucceeded:
      return State::kSucceeded;
    case TrainerAttempt::State::kInterrupted:
      if (attempt_ <= retries_) {
        const std::string message = fmt::format("{}; starting it again (attempt {} of {})", current_->Outcome(),
                                                attempt_ + 1, retries_ + 1);
        spdlog::warn("cycle {}: {}", job_.cycle_id, message);
        Note(message);
        current_.reset();
        Discard(/*failed=*/false);
        if (Status s = StartAttempt(); !s.ok()) {
          return Fail("restarting the trainer for " + job_.output_version + " failed: " + s.message());
        }
        note(fmt::format("training {}: restarted (attempt {})", job_.output_version, attempt_));
        return State::kRunning;
      }
      return Fail(current_->Outcome());
    case TrainerAttempt::State::kFailed:
      return Fail(current_->Outcome());
  }
  return State::kRunning;
}

Trainer::State ProcessTrainer::Fail(const std::string& message) {
  std::string text = message;
  auto tail = current_ ? current_->Tail() : std::vector<std::string>{};
  if (!tail.empty()) {
    text += "; last log lines (" + job_.log_path + "):";
    for (const auto& l : tail) text += "\n  " + l;
  }
  failure_ = Status::Internal(text);
  current_.reset();
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
