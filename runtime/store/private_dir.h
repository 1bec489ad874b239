// Creates the directories above the database that are missing, each
// owner-only (0700): the state dir will hold secrets (CURVE keys).
#pragma once

#include <filesystem>

#include "runtime/base/status.h"

namespace kaizen::store {

// Existing directories are left as they are; only new ones get 0700.
Status CreatePrivateDirs(const std::filesystem::path& dir);

}  // namespace kaizen::store
