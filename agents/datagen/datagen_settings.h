// DatagenSettings: the datagen agent's manifest section (spec.datagen), typed,
// with every default taken from the manifest schema (none written here).
#pragma once

#include <cstdint>

#include <nlohmann/json.hpp>

namespace kaizen::agents {

struct DatagenSettings {
  enum class InputsSince { kChange, kStart };

  int concurrency = 0;             // teacher requests in flight at once
  double validation_fraction = 0;  // of new rows held out for validation
  bool dedupe = false;
  InputsSince inputs_since = InputsSince::kChange;
  int64_t collect_timeout_s = 0;
  bool carry_labels = false;

  static DatagenSettings FromAgentSettings(const nlohmann::json& settings);
  static const char* Name(InputsSince since);
};

}  // namespace kaizen::agents
