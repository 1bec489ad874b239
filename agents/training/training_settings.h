// TrainingSettings: the training agent's manifest section (spec.training),
// typed. Every default comes from the manifest schema (config/manifest_schema.cc),
// so none is written here a second time; a key the loader did not fill falls
// back to the schema's value.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace kaizen::agents {

enum class TrainingBackend { kBuiltin, kCommand, kPrompt, kSlurm };

const char* TrainingBackendName(TrainingBackend backend);

// The worker's original training data (spec.worker.skill.train resolved
// against spec.data): what the builtin trainer replays so old skills stay.
struct ReplaySource {
  std::string path;
  std::string split;
  std::vector<std::string> domains;  // empty: all
};

// spec.training.slurm: what the slurm backend's batch job runs and asks for.
enum class SlurmTrainerKind { kBuiltin, kCommand };
struct SlurmTrainingSettings {
  SlurmTrainerKind trainer = SlurmTrainerKind::kBuiltin;
  int cpus = 0;
  std::string mem, gres;  // "": Slurm's default
  std::string time_limit;  // "": timeout_s rounded up to minutes
};

// spec.slurm: the cluster the jobs go to (shared with the runtime's launcher).
struct SlurmClusterSettings {
  std::string partition, account;  // "": the cluster's defaults
  std::string time_limit;          // an agent's job's; the trainer's is SlurmTrainingSettings::time_limit
  int64_t poll_interval_ms = 0;
  std::vector<std::string> extra_args;
};

struct TrainingSettings {
  TrainingBackend backend = TrainingBackend::kBuiltin;
  std::string command;  // command backend: the template (command_trainer.h)
  double replay_fraction = 0;
  int epochs = 0;
  bool refit = false;
  int64_t timeout_s = 0;
  int retries = 0;
  nlohmann::json prompt;  // prompt backend: spec.training.prompt
  SlurmTrainingSettings slurm;  // slurm backend: spec.training.slurm

  // Resolved from other sections for this agent.
  std::optional<ReplaySource> replay;
  // The prompt backend calls the worker's and a teacher's endpoints
  // (spec.worker.skill.openai, spec.teachers): it reads the cluster spec.
  nlohmann::json spec;
  // slurm backend: spec.slurm, and the cluster's name (its jobs' comment).
  SlurmClusterSettings slurm_cluster;
  std::string cluster_name;
  std::string cluster_state_dir;  // its training runs' Slurm comment names it
  // The kaizen executable the builtin trainer runs (`kaizen train-model`);
  // "" = this process's own. Tests whose process is not kaizen set it.
  std::string kaizen_executable;

  // From the agent's settings (its section plus "cluster" from the Welcome).
  // A backend name the schema does not know is the schema default's, since
  // the loader refuses one.
  static TrainingSettings FromAgentSettings(const nlohmann::json& settings);
};

}  // namespace kaizen::agents
