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

enum class TrainingBackend { kBuiltin, kCommand, kPrompt };

const char* TrainingBackendName(TrainingBackend backend);

// The worker's original training data (spec.worker.skill.train resolved
// against spec.data): what the builtin trainer replays so old skills stay.
struct ReplaySource {
  std::string path;
  std::string split;
  std::vector<std::string> domains;  // empty: all
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

  // Resolved from other sections for this agent.
  std::optional<ReplaySource> replay;
  // The prompt backend calls the worker's and a teacher's endpoints
  // (spec.worker.skill.openai, spec.teachers): it reads the cluster spec.
  nlohmann::json spec;

  // From the agent's settings (its section plus "cluster" from the Welcome).
  // A backend name the schema does not know is the schema default's, since
  // the loader refuses one.
  static TrainingSettings FromAgentSettings(const nlohmann::json& settings);
};

}  // namespace kaizen::agents
