// Bus endpoint checks shared by the runtime (bind) and clients (connect).
#pragma once

#include <string>

#include "runtime/base/status.h"

namespace kaizen::bus {

// ipc:// paths must fit a Unix socket address (107 bytes); tcp:// needs host:port.
Status ValidateEndpoint(const std::string& endpoint);
// For ipc://: removes a socket file left by a runtime that was killed, so bind
// succeeds. The caller must hold the state-dir lock (no live runtime uses it).
void RemoveStaleIpcSocket(const std::string& endpoint);

}  // namespace kaizen::bus
