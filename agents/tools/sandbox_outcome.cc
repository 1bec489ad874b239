#include "agents/tools/sandbox_outcome.h"

#include <signal.h>
#include <string.h>

#include <cmath>
#include <cstdio>

namespace kaizen::tools {
namespace {

std::string Seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", s);
  return buf;
}

std::string Bytes(int64_t b) {
  if (b >= (1 << 20) && b % (1 << 20) == 0) return std::to_string(b >> 20) + " MiB";
  if (b >= (1 << 10) && b % (1 << 10) == 0) return std::to_string(b >> 10) + " KiB";
  return std::to_string(b) + " bytes";
}

std::string SignalName(int sig) {
  const char* abbrev = sigabbrev_np(sig);
  return abbrev ? std::string("SIG") + abbrev : "signal " + std::to_string(sig);
}

bool Contains(const std::string& text, const char* what) { return text.find(what) != std::string::npos; }

}  // namespace

std::string LastLine(const std::string& text) {
  size_t end = text.find_last_not_of(" \t\r\n");
  if (end == std::string::npos) return "";
  size_t start = text.find_last_of('\n', end);
  start = start == std::string::npos ? 0 : start + 1;
  start = text.find_first_not_of(" \t", start);
  std::string line = text.substr(start, end - start + 1);
  if (line.size() > 200) line = line.substr(0, 197) + "...";
  return line;
}

void ReadOutcome(const RunEnding& ending, const SandboxLimits& limits, SandboxRun* run) {
  using O = SandboxRun::Outcome;
  const int code = ending.bwrap_exit_code;
  const bool by_signal = code > 128 && code < 128 + 65;
  run->signal = by_signal ? code - 128 : 0;
  run->exit_code = by_signal ? -1 : code;
  const double cpu_limit = std::ceil(limits.cpu_seconds);

  if (ending.wall_timeout) {
    run->outcome = O::kTimedOut;
    run->reason = "timed out after " + Seconds(limits.wall_timeout_ms / 1000.0) + " of wall time; killed";
    return;
  }
  if (!ending.output_overflow.empty()) {
    run->outcome = O::kOutputTooLarge;
    run->reason = "wrote more than " + Bytes(limits.max_output_bytes) + " on " + ending.output_overflow +
                  "; cut there and killed";
    return;
  }
  if (by_signal) {
    const int sig = run->signal;
    if (sig == SIGSYS) {
      run->outcome = O::kForbiddenCall;
      run->reason = "made a forbidden system call (opened a network socket, or io_uring); killed by the seccomp filter";
    } else if (sig == SIGXCPU || (sig == SIGKILL && ending.cpu_seconds >= cpu_limit)) {
      run->outcome = O::kTimedOut;
      run->reason = "timed out after " + Seconds(cpu_limit) + " of CPU; killed by " + SignalName(sig);
    } else {
      run->outcome = O::kCrashed;
      run->reason = "crashed: killed by " + SignalName(sig);
      std::string last = LastLine(run->stderr_text);
      if (!last.empty()) run->reason += " (" + last + ")";
    }
    return;
  }
  if (code == 0) {
    run->outcome = O::kOk;
    run->reason = "exited with code 0";
    return;
  }
  const std::string last = LastLine(run->stderr_text);
  if (Contains(last, "MemoryError")) {
    run->outcome = O::kMemory;
    run->reason = "ran out of its " + Bytes(limits.memory_bytes) + " of memory: " + last;
  } else if (Contains(last, "BlockingIOError") || Contains(last, "Resource temporarily unavailable") ||
             Contains(last, "can't start new thread")) {
    run->outcome = O::kProcesses;
    run->reason = "hit its limit of " + std::to_string(limits.max_processes) + " processes: " + last;
  } else {
    run->outcome = O::kFailed;
    run->reason = last.empty() ? "exited with code " + std::to_string(code)
                               : "exited with code " + std::to_string(code) + ": " + last;
  }
}

}  // namespace kaizen::tools
