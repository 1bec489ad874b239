// RuntimeSession: a CLI command's connection to the runtime of a state dir.
#pragma once

#include <memory>
#include <string>

#include <zmq.hpp>

#include "runtime/bus/bus_client.h"
#include "runtime/core/state_dir.h"

namespace kaizen::cli {

// Who is deciding, for the journal and the audit trail: `as` when given,
// else $KAIZEN_USER, $USER, $LOGNAME; "" when none is set.
std::string OperatorName(const std::string& as = "");

class RuntimeSession;

// An operator's decision (`approve`, `promote`, `anchor set`, `improve`):
// resolves the state dir, requires a reason (`reason_use` says where it
// goes), requires a running cluster and connects. On failure prints
// "<command>: why" to stderr, sets *exit_code and returns null.
std::unique_ptr<RuntimeSession> OpenDecisionSession(const std::string& command, const std::string& state_dir,
                                                    const std::string& key_file, const std::string& reason,
                                                    const std::string& reason_use, int* exit_code);

class RuntimeSession {
 public:
  // Finds the live runtime (runtime.json + lock) and registers as a CLI peer.
  // Unavailable when no runtime runs for that state dir. When runtime.json
  // says CURVE is on, connects with the key pair in `key_file`, else
  // $KAIZEN_KEY_FILE, else <state_dir>/keys/admin.key.
  static Result<std::unique_ptr<RuntimeSession>> Open(const std::string& state_dir, const std::string& key_file = "",
                                                      int timeout_ms = 5000);

  // Sends a request to the runtime and waits for its answer. An Error body
  // comes back as a Status.
  Result<bus::Envelope> Call(bus::Envelope request, int timeout_ms = 5000);
  bus::Envelope NewRequest() const;

  bus::BusClient& client() { return *client_; }
  const core::RuntimeInfo& info() const { return info_; }
  const core::StatePaths& paths() const { return paths_; }

 private:
  RuntimeSession(core::StatePaths paths, core::RuntimeInfo info) : paths_(std::move(paths)), info_(std::move(info)) {}
  core::StatePaths paths_;
  core::RuntimeInfo info_;
  zmq::context_t context_{1};
  std::unique_ptr<bus::BusClient> client_;
};

}  // namespace kaizen::cli
