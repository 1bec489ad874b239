// The schema of a Kaizen manifest (apiVersion kaizen.dev/v1, kind Cluster):
// every key, its type, range, default and one line of documentation.
#pragma once

#include <array>
#include <string>

#include "config/schema.h"

namespace kaizen::config {

inline constexpr const char* kApiVersion = "kaizen.dev/v1";
inline constexpr const char* kKind = "Cluster";

// The supervised roles, in start order; each has a section under spec. The
// last two, the HTTP gateway and the traffic simulator, run only when their
// section is present.
inline constexpr std::array<const char*, 9> kRoles = {"worker",     "monitoring", "planning", "datagen",  "training",
                                                       "evaluation", "deployment", "gateway",  "simulator"};

const Schema& ManifestSchema();

// The schema's default for a dotted key path ("spec.deployment.approval_timeout_s";
// "spec.teachers[].cost_per_call" steps into a list's items),
// for code that reads a section the loader filled: a fallback written there
// would be a second copy of the default, free to drift. Throws std::logic_error
// for a path with no default (a programming error, caught by any test run).
const nlohmann::json& SchemaDefault(const std::string& dotted_path);

// section[key] when it is set, else SchemaDefault(section_path + "." + key):
// how typed settings read a section ("spec.training") without restating a default.
nlohmann::json SettingOrDefault(const nlohmann::json& section, const std::string& section_path,
                                const std::string& key);

}  // namespace kaizen::config
