// What a schema cannot say: paths resolved at load time, restart overrides
// merged, and rules between keys (references, uniqueness, order). Each
// problem is reported through the Validator, at the position of the key.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "config/validator.h"

namespace kaizen::config {

struct CheckContext {
  Validator* validator;            // reports errors and knows where keys were
  std::string base_dir;            // relative data paths resolve here
  std::string state_dir_override;  // --state-dir, or ""
};

// spec.runtime.state_dir (absolute), spec.runtime.endpoints (defaults under
// the state dir) and spec.data.*.path (absolute, must exist), in place.
void ResolvePaths(nlohmann::json* doc, const CheckContext& ctx);

// Writes each role's effective restart policy (spec.runtime.restart with the
// role's overrides) into spec.<role>.restart and checks backoff bounds.
void ResolveRestarts(nlohmann::json* doc, const CheckContext& ctx);

// Unique agent ids and teacher names, dataset references, backends that need
// more keys, increasing rollout steps.
void CheckRules(const nlohmann::json& doc, const CheckContext& ctx);

// spec.planning.bounds against the rest of `spec` (bounds_checks.cc): at
// least one strategy within the bounds, parameter_ranges with min <= max,
// the manifest's knobs (training.epochs, ...) within their ranges and a
// teacher budget that reaches teacher_calls.min. Called by CheckRules.
void CheckBounds(const nlohmann::json& spec, const CheckContext& ctx);

}  // namespace kaizen::config
