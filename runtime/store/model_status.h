// ModelStatus: where a model version stands in the registry. The store keeps
// it as text in models.status; the names below are that on-disk format, so
// they never change (a new status gets a new name).
#pragma once

#include <iosfwd>
#include <string_view>

#include "runtime/base/result.h"

namespace kaizen::store {

enum class ModelStatus {
  kCandidate,   // trained and registered; being evaluated or rolled out
  kServing,     // what the worker serves (one version at a time)
  kRetired,     // served before; a promotion replaced it
  kRolledBack,  // a candidate taken back during or after its rollout
  kRejected,    // a candidate that failed evaluation, or whose cycle aborted
};

// "candidate", "serving", "retired", "rolled_back", "rejected".
const char* ModelStatusName(ModelStatus status);
// The status called `name`; InvalidArgument naming it and the known names otherwise.
Result<ModelStatus> ParseModelStatus(std::string_view name);

// The name, so that test failures and logs read "serving", not "1".
std::ostream& operator<<(std::ostream& out, ModelStatus status);

}  // namespace kaizen::store
