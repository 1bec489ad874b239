// Opening a cluster's store read-only for commands that tell its history
// (`kaizen cycles`, `describe cycle`, `report`): they work whether the
// cluster runs or not, and never write.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "runtime/base/result.h"
#include "runtime/store/store.h"

namespace kaizen::cli {

struct StoredCluster {
  std::string state_dir;
  std::unique_ptr<store::Store> store;
};

// Resolves --state-dir like every command (flag, $KAIZEN_STATE_DIR, the only
// cluster under ./.kaizen/) and opens <dir>/state.db read-only. On failure
// prints "kaizen <command>: why" to stderr and returns the exit code in *code.
std::optional<StoredCluster> OpenStoredCluster(const std::string& command, const std::string& state_dir_flag, int* code);

}  // namespace kaizen::cli
