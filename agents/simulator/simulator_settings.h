// SimulatorSettings: the keys of the simulator's manifest section
// (spec.simulator) the simulator agent reads, typed, with every default taken
// from the manifest schema (none written here, so a default cannot disagree
// with the one `kaizen validate` and the docs show). dataset is required (no
// default) and read where the pools are loaded.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace kaizen::agents {

struct SimulatorSettings {
  uint64_t seed = 0;
  double rate_per_s = 0;  // tasks per second
  uint64_t total_tasks = 0;
  uint64_t drift_at_task = 0;
  uint64_t users = 0;
  uint64_t tasks_after_cycle = 0;
  uint64_t max_tasks = 0;  // 0: 4 x total_tasks (the agent applies it)
  double feedback_rate = 0;
  double feedback_noise = 0;
  enum class Via { kBus, kGateway };
  static const char* Name(Via via);
  Via via = Via::kBus;
  uint64_t max_in_flight = 0;  // via gateway
  std::string split;           // comma-separated splits
  // Domains drawn from before and after the drift; empty: all.
  std::vector<std::string> before_drift_domains, after_drift_domains;

  // `settings` is the agent's settings (spec.simulator as the loader filled
  // it); a key left out reads as the schema's default.
  static SimulatorSettings FromAgentSettings(const nlohmann::json& settings);
};

}  // namespace kaizen::agents
