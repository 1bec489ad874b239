// The command backend: the user's own training program (command_trainer.h)
// in a child process, in a fresh work dir per attempt.
#include <filesystem>

#include <spdlog/fmt/fmt.h>

#include "agents/training/command_trainer.h"
#include "agents/training/process_trainer.h"
#include "runtime/base/ids.h"

namespace kaizen::agents {
namespace {

namespace fs = std::filesystem;

class CommandBackend : public ProcessTrainer {
 public:
  CommandBackend(const TrainingSettings& s, TrainerAttemptFactory runs)
      : ProcessTrainer(s.timeout_s, s.retries, std::move(runs)), settings_(s) {}
  ~CommandBackend() override {
    Abandon();
    // A collected run's model was moved out; the rest is scratch.
    std::error_code ec;
    if (collected() && !command_.work_dir.empty()) fs::remove_all(command_.work_dir, ec);
  }

 private:
  Result<std::vector<std::string>> PrepareAttempt() override {
    CommandJobInput in;
    in.command_template = settings_.command;
    in.base_model_path = job().base_path;
    in.base_version = job().base_version;
    in.dataset_path = job().dataset_path;
    in.output_version = job().output_version;
    in.cycle_id = job().cycle_id;
    in.work_dir = job().state_dir + "/training/" + job().output_version + "-" + NewId();
    in.epochs = settings_.epochs;
    auto prepared = PrepareCommandJob(in);
    if (!prepared.ok()) return prepared.status();
    command_ = std::move(*prepared);
    Note(fmt::format("cycle {}: training {} with: {} ({} train / {} validation rows)", job().cycle_id,
                     job().output_version, command_.command, command_.train_rows, command_.validation_rows));
    return command_.argv;
  }

  Result<TrainedModel> Output(const nlohmann::json& result, const nlohmann::json& last_progress) override {
    auto found = FindCommandOutput(command_.output_dir, result);
    if (!found.ok()) {
      return Status::Internal("training command for " + job().output_version + ": " + found.status().message());
    }
    TrainedModel m;
    m.path = *found;
    m.ext = ArtifactExtension(m.path);
    m.metrics = result.is_object() ? result : nlohmann::json::object();
    m.metrics["train_rows"] = command_.train_rows;
    m.metrics["validation_rows"] = command_.validation_rows;
    m.metrics["log"] = job().log_path;
    m.metrics["parameters"] = {{"epochs", settings_.epochs}};  // the knobs this run used
    if (last_progress.is_object()) m.metrics["last_progress"] = last_progress;
    return m;
  }

  void Discard(bool failed) override {
    // A failed command's work dir is kept: what it left there helps to find out why.
    std::error_code ec;
    if (!failed && !command_.work_dir.empty()) fs::remove_all(command_.work_dir, ec);
  }

  TrainingSettings settings_;
  CommandJob command_;  // this attempt's work dir, files and command line
};

}  // namespace

std::unique_ptr<Trainer> MakeCommandTrainer(const TrainingSettings& settings) {
  return MakeCommandTrainer(settings, LocalTrainerAttempts());
}

std::unique_ptr<Trainer> MakeCommandTrainer(const TrainingSettings& settings, TrainerAttemptFactory runs) {
  return std::make_unique<CommandBackend>(settings, std::move(runs));
}

}  // namespace kaizen::agents
