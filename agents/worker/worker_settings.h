// WorkerSettings: the keys of the worker's manifest section (spec.worker) the
// worker agent reads, typed, with every default taken from the manifest
// schema (none written here, so a default cannot disagree with the one
// `kaizen validate` and the docs show). The model, the train dataset's name
// and the teachers are not defaults: the agent reads them where it uses them.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agents/worker/deferral_policy.h"

namespace kaizen::agents {

struct WorkerSettings {
  enum class SkillBackend { kBuiltinClassifier, kOpenAi };
  static const char* Name(SkillBackend backend);

  SkillBackend skill_backend = SkillBackend::kBuiltinClassifier;  // skill.backend
  std::string train_split;                 // skill.train.split, when skill.train is given
  std::vector<std::string> train_domains;  // skill.train.domains; empty: all
  bool defer_enabled = false;              // defer.enabled
  std::string defer_teacher;               // defer.teacher; empty: the first teacher
  // defer.max_share, max_cost_per_hour and window (cost_per_call is the teacher's, left 0 here).
  DeferralOptions deferral;

  // `settings` is the agent's settings (spec.worker as the loader filled it);
  // a key left out, or a nested object left out, reads as the schema's default.
  static WorkerSettings FromAgentSettings(const nlohmann::json& settings);
};

}  // namespace kaizen::agents
