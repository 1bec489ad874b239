// Whether a process is still running, as an operator means it: a zombie
// (exited, not yet reaped by its parent) is not.
#pragma once

#include <sys/types.h>

namespace kaizen {

// True while `pid` exists and has not exited; a process of another user counts.
bool ProcessRunning(pid_t pid);

}  // namespace kaizen
