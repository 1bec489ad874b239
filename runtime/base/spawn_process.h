// SpawnProcess: starts a child process set up to be supervised, for the
// runtime's supervisor (agents) and for agents that run a child of their own
// (the training agent's trainer). Lives in base so an agent needs nothing of
// the runtime's internals to start one.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "runtime/base/result.h"

namespace kaizen {

// Starts argv: own process group, PR_SET_PDEATHSIG(SIGKILL), signal mask and
// dispositions reset, stdout/stderr appended to log_path (its folder made),
// stdin from /dev/null, no other inherited fds. Returns the pid, or an
// IOError naming what failed (exec errors included: they come back through a
// pipe, so a missing binary is an error here, not an exit code later).
Result<pid_t> SpawnProcess(const std::vector<std::string>& argv, const std::string& log_path);

}  // namespace kaizen
