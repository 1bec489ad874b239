#include "runtime/cli/stored_cluster.h"

#include <cstdio>
#include <filesystem>

#include "runtime/cli/commands.h"
#include "runtime/core/state_dir.h"

namespace kaizen::cli {

std::optional<StoredCluster> OpenStoredCluster(const std::string& command, const std::string& state_dir_flag, int* code) {
  auto dir = core::ResolveStateDir(state_dir_flag);
  if (!dir.ok()) {
    std::fprintf(stderr, "kaizen %s: %s\n", command.c_str(), dir.status().message().c_str());
    *code = kExitInvalid;
    return std::nullopt;
  }
  const core::StatePaths paths(*dir);
  if (!std::filesystem::exists(paths.db)) {
    std::fprintf(stderr, "kaizen %s: %s has no store (state.db); is it a cluster's state dir?\n", command.c_str(),
                 dir->c_str());
    *code = kExitInvalid;
    return std::nullopt;
  }
  auto store = store::Store::Open(paths.db, store::Store::Mode::kReadOnly);
  if (!store.ok()) {
    std::fprintf(stderr, "kaizen %s: %s\n", command.c_str(), store.status().message().c_str());
    *code = kExitFailure;
    return std::nullopt;
  }
  *code = kExitOk;
  return StoredCluster{*dir, std::move(*store)};
}

}  // namespace kaizen::cli
