// How a sandboxed run ended, read into SandboxRun's outcome and one-line
// reason. Pure: no processes here, so every reading is unit-tested.
//
// Order: what the sandbox did itself (wall timeout, output cut) comes first;
// then a signal (bwrap reports one as exit code 128+N): SIGSYS is the seccomp
// filter, SIGXCPU (or SIGKILL after the CPU limit was used) is CPU time,
// anything else a crash; then the exit code, where a nonzero exit whose
// stderr ends in MemoryError is kMemory and one that ends in the error of a
// fork/thread start refused (EAGAIN) is kProcesses.
#pragma once

#include <string>

#include "agents/tools/sandbox.h"

namespace kaizen::tools {

struct RunEnding {
  bool wall_timeout = false;     // the sandbox killed it at wall_timeout_ms
  std::string output_overflow;   // "stdout" or "stderr" when it was cut; "" otherwise
  int bwrap_exit_code = 0;       // bwrap's: the tool's code, or 128+signal
  double cpu_seconds = 0;        // CPU used by the whole run (rusage of bwrap and its children)
};

// Sets run->outcome, exit_code, signal and reason. Reads run->stderr_text and
// run->wall_seconds.
void ReadOutcome(const RunEnding& ending, const SandboxLimits& limits, SandboxRun* run);

// The last non-empty line of `text`, trimmed and cut to 200 characters.
std::string LastLine(const std::string& text);

}  // namespace kaizen::tools
