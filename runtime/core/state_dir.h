// The state directory of one cluster: where the runtime keeps its database,
// logs, artifacts, sockets, and the files CLI commands use to find it.
//
//   state.db        SQLite store (runtime writes, CLI may read)
//   runtime.json    pid and endpoints of the live runtime (removed on stop)
//   runtime.lock    flock held by the live runtime: one runtime per state dir
//   logs/           runtime.log and <agent-id>.log
//   artifacts/      datasets and models, content-addressed
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "runtime/base/result.h"

namespace kaizen::core {

struct StatePaths {
  explicit StatePaths(std::string dir);
  std::string dir, db, runtime_json, lock, logs, artifacts;
  std::string AgentLog(const std::string& agent_id) const;
};

// Creates the directory tree with owner-only permissions (0700).
Status CreateStateDir(const StatePaths& paths);

// An exclusive, non-blocking flock on runtime.lock; released on destruction
// (and by the kernel if the runtime dies, so a crash never leaves it stuck).
class StateLock {
 public:
  static Result<StateLock> Acquire(const StatePaths& paths);
  StateLock(StateLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  StateLock& operator=(StateLock&&) = delete;
  StateLock(const StateLock&) = delete;
  ~StateLock();

 private:
  explicit StateLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

// True while some runtime holds the lock of this state dir.
bool RuntimeAlive(const StatePaths& paths);

struct RuntimeInfo {
  int64_t pid = 0;
  std::string cluster;
  std::string control_endpoint;
  std::string events_endpoint;
  std::string manifest;
  int64_t started_ms = 0;
  std::string server_public_key{};  // security.curve: the runtime's CURVE public key (Z85); "" = plain
};

Status WriteRuntimeInfo(const StatePaths& paths, const RuntimeInfo& info);
// NotFound when no runtime is running for this state dir.
Result<RuntimeInfo> ReadRuntimeInfo(const StatePaths& paths);

// Resolves --state-dir: the flag if given, else $KAIZEN_STATE_DIR, else the
// single cluster under ./.kaizen/ (an error lists them when there are several).
Result<std::string> ResolveStateDir(const std::string& flag);

}  // namespace kaizen::core
