// The builtin backend: `kaizen train-model` (builtin_trainer.h) in a child
// process, replaying the worker's original training data.
#include <filesystem>

#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

#include "agents/training/process_trainer.h"
#include "runtime/base/ids.h"

namespace kaizen::agents {
namespace {

namespace fs = std::filesystem;

Result<std::string> SelfExe() {
  std::error_code ec;
  fs::path p = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return Status::IOError("cannot find the kaizen executable (/proc/self/exe): " + ec.message());
  return p.string();
}

class BuiltinBackend : public ProcessTrainer {
 public:
  BuiltinBackend(const TrainingSettings& s, TrainerAttemptFactory runs)
      : ProcessTrainer(s.timeout_s, s.retries, std::move(runs)), settings_(s) {}
  ~BuiltinBackend() override { Abandon(); }

 private:
  Result<std::vector<std::string>> PrepareAttempt() override {
    auto exe = settings_.kaizen_executable.empty() ? SelfExe() : Result<std::string>(settings_.kaizen_executable);
    if (!exe.ok()) return exe.status();
    const std::string tmp = job().state_dir + "/artifacts/tmp";
    std::error_code ec;
    fs::create_directories(tmp, ec);
    output_ = tmp + "/model-" + job().output_version + "-" + NewId() + ".kzm";
    std::vector<std::string> argv = {*exe,       "train-model",        "--base",   job().base_path,
                                     "--dataset", job().dataset_path,  "--version", job().output_version,
                                     "--output",  output_,             "--epochs", std::to_string(settings_.epochs),
                                     "--replay-fraction", fmt::format("{}", settings_.replay_fraction)};
    holdout_.clear();
    if (settings_.refit) {
      holdout_ = tmp + "/model-" + job().output_version + "-holdout-" + NewId() + ".kzm";
      argv.insert(argv.end(), {"--holdout-output", holdout_});
    }
    if (const auto& replay = settings_.replay) {
      argv.insert(argv.end(), {"--replay-data", replay->path, "--replay-split", replay->split});
      if (!replay->domains.empty()) {
        std::string joined;
        for (const auto& d : replay->domains) joined += (joined.empty() ? "" : ",") + d;
        argv.insert(argv.end(), {"--replay-domains", joined});
      }
    } else if (attempts() == 1) {
      spdlog::warn("cycle {}: no replay data (spec.worker.skill.train); training on the new rows only",
                   job().cycle_id);
    }
    return argv;
  }

  Result<TrainedModel> Output(const nlohmann::json& result, const nlohmann::json&) override {
    TrainedModel m;
    m.path = output_;
    m.ext = "kzm";
    std::error_code ec;
    if (!holdout_.empty() && fs::exists(holdout_, ec)) m.holdout_path = holdout_;
    m.metrics = result.is_object() ? result : nlohmann::json::object();
    m.metrics["replay_fraction"] = settings_.replay_fraction;
    m.metrics["parameters"] = {{"epochs", settings_.epochs}, {"replay_fraction", settings_.replay_fraction}};
    return m;
  }

  void Discard(bool) override {
    std::error_code ec;
    if (!output_.empty()) fs::remove(output_, ec);
    if (!holdout_.empty()) fs::remove(holdout_, ec);
  }

  TrainingSettings settings_;
  std::string output_, holdout_;  // this attempt's model files
};

}  // namespace

std::unique_ptr<Trainer> MakeBuiltinTrainer(const TrainingSettings& settings) {
  return MakeBuiltinTrainer(settings, LocalTrainerAttempts());
}

std::unique_ptr<Trainer> MakeBuiltinTrainer(const TrainingSettings& settings, TrainerAttemptFactory runs) {
  return std::make_unique<BuiltinBackend>(settings, std::move(runs));
}

}  // namespace kaizen::agents
