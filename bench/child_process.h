// Child processes for the cycle benchmark: start one with its output to a
// file and TZ=UTC (so agents' log times read like the journal's), wait for
// it, stop it by its pid.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace kaizen::bench {

// Starts argv[0] with `argv`; stdout and stderr appended to `output_path`.
// Returns the pid, or -1.
pid_t StartChild(const std::vector<std::string>& argv, const std::string& output_path);

// The exit status (as from waitpid) once the child has exited, without
// waiting; nullopt while it runs.
std::optional<int> ExitedStatus(pid_t pid);

// Runs to the end (at most timeout_s, then SIGTERM, SIGKILL); the exit code,
// or -1 if it was killed or could not start.
int RunChild(const std::vector<std::string>& argv, const std::string& output_path, int timeout_s);

// SIGTERM, then SIGKILL after grace_ms if it is still there; reaps it.
void StopChild(pid_t pid, int grace_ms);

}  // namespace kaizen::bench
