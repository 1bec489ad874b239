// Random identifiers for messages, tasks and cycles.
#pragma once

#include <string>

namespace kaizen {

// 16 lowercase hex characters from a per-thread random engine.
std::string NewId();
// A readable id with a prefix, e.g. NewId("cyc") -> "cyc-3f9a1c20d4e5b6a7".
std::string NewId(const std::string& prefix);

}  // namespace kaizen
