#include "agents/training/trainer.h"

#include "agents/training/slurm_trainer_attempt.h"

#include <algorithm>
#include <chrono>

namespace kaizen::agents {

TrainerLeftovers::~TrainerLeftovers() {
  for (auto& w : work_) w.wait();
}

void TrainerLeftovers::Add(std::future<void> work) {
  if (work.valid()) work_.push_back(std::move(work));
}

void TrainerLeftovers::DropFinished() {
  std::erase_if(work_, [](auto& w) { return w.wait_for(std::chrono::seconds(0)) == std::future_status::ready; });
}

std::unique_ptr<Trainer> MakeTrainer(const TrainingSettings& settings, TrainerLeftovers& leftovers) {
  switch (settings.backend) {
    case TrainingBackend::kCommand: return MakeCommandTrainer(settings);
    case TrainingBackend::kPrompt: return MakePromptTrainer(settings, leftovers);
    case TrainingBackend::kSlurm: return MakeSlurmTrainer(settings);
    case TrainingBackend::kBuiltin: break;
  }
  return MakeBuiltinTrainer(settings);
}

}  // namespace kaizen::agents
