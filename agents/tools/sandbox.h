// The tool sandbox: runs a Python 3 program written by an LLM (a created
// tool, or a call of one) in a fresh bubblewrap sandbox, and says how it went.
//
// Guarantees, for every run:
//   - Namespaces: bwrap --unshare-all (user, mount, pid, ipc, uts, cgroup and
//     network: the only network device is a down loopback), --new-session (no
//     terminal to inject keystrokes into), --die-with-parent, --cap-drop ALL.
//     The tool runs as uid/gid 65534 inside. When the caller is root, bwrap
//     itself runs under a fresh unprivileged host uid (see Processes below), so
//     even a sandbox escape lands as nobody in particular.
//   - Files: /usr (and the /lib, /lib64, /bin links to it) and /etc/localtime
//     read-only, the program at /sandbox/tool.py read-only, a private /proc
//     and /dev, and the root made read-only: /tmp, an empty tmpfs of
//     SandboxLimits::tmp_bytes, is the only writable place and the cwd; it
//     vanishes with the run. Nothing is written on the host (program and stdin
//     travel in memfds). The environment is cleared to PATH, HOME=/tmp, LANG
//     (and bwrap's PWD).
//   - /usr/bin/python3 -I -B runs the program (Debian's python3, never a shim
//     on PATH; -I ignores PYTHON* variables and the user's site-packages).
//   - Seccomp (seccomp_filter.h): socket() for any family but AF_UNIX, and
//     io_uring, kill the tool: kForbiddenCall.
//   - Limits (setrlimit before exec, inherited by everything in the sandbox):
//     RLIMIT_CPU (per process; SIGXCPU then SIGKILL one second later),
//     RLIMIT_AS, RLIMIT_NPROC, RLIMIT_FSIZE (= tmp_bytes), RLIMIT_CORE 0.
//     Wall time: at wall_timeout_ms the whole process group is killed, and the
//     pid namespace takes every process of the tool with it. Output: at most
//     max_output_bytes of stdout and of stderr each are read; one more byte
//     kills the run (kOutputTooLarge).
//   - Processes: RLIMIT_NPROC counts the processes (threads too) of the real
//     uid on the host, and the kernel does not apply it to root. So as root
//     each run takes its own uid from a range above 2^30 that no account
//     uses, and the limit counts exactly that run: bwrap's own two processes,
//     python3 and whatever it starts. max_processes must leave room for bwrap
//     (at least 4). Run as another user, the limit counts all of that user's
//     processes: give the sandbox's host a user of its own.
//   - Every fd and child is owned (RAII): an error or exception on the way
//     kills and reaps the child. After a kill, RunPython waits (up to 2 s) until
//     no live process is left in the sandbox's pid namespace.
//
// Limits (what it does not stop): it trusts the kernel and bubblewrap (a
// kernel bug is an escape); the CPU limit is CPU time per process, not wall
// time (sleeping costs nothing but the wall timeout; N processes may use N
// times the CPU); memory is address space, not resident memory; it does not
// judge what the program computes, and a tool may read all of /usr.
//
// Failure: a Status only when the sandbox itself could not run (bwrap or
// python3 missing, user namespaces refused, a pipe or fork failing), with what
// to do about it. Whatever the tool does is a SandboxRun with an Outcome and
// a one-line reason.
#pragma once

#include <cstdint>
#include <string>

#include "runtime/base/result.h"
#include "runtime/base/status.h"

namespace kaizen::tools {

struct SandboxLimits {
  double cpu_seconds = 2;                    // CPU time per process, rounded up to whole seconds
  int64_t memory_bytes = 256LL << 20;        // address space per process
  int max_processes = 16;                    // processes and threads, bwrap's two included
  int64_t max_output_bytes = 64 << 10;       // of stdout, and of stderr
  int wall_timeout_ms = 5000;
  int64_t tmp_bytes = 16LL << 20;            // size of the sandbox's /tmp (and the largest file)
};

struct SandboxRun {
  enum class Outcome {
    kOk,              // exit code 0
    kFailed,          // nonzero exit; reason "exited with code N: <stderr's last line>"
    kTimedOut,        // wall or CPU time limit
    kMemory,          // MemoryError under the address-space limit
    kProcesses,       // could not start a process or thread under the process limit
    kOutputTooLarge,  // more than max_output_bytes on stdout or stderr
    kForbiddenCall,   // killed by the seccomp filter (a socket, io_uring)
    kCrashed,         // killed by another signal
  };
  Outcome outcome = Outcome::kFailed;
  int exit_code = 0;  // the tool's exit code; -1 when a signal ended it
  int signal = 0;     // the signal that ended it, 0 if none
  std::string stdout_text, stderr_text;  // at most max_output_bytes each
  std::string reason;  // one line a person reads: "timed out after 2.0 s of CPU", ...
  double wall_seconds = 0;
  bool ok() const { return outcome == Outcome::kOk; }
};

// "ok", "failed", "timed out", ...
const char* OutcomeName(SandboxRun::Outcome outcome);

// Runs /usr/bin/python3 with `program` (source text) and `stdin_text` in a
// fresh bubblewrap sandbox. Blocks for at most about wall_timeout_ms.
Result<SandboxRun> RunPython(const std::string& program, const std::string& stdin_text,
                             const SandboxLimits& limits);

// Whether the sandbox can run here (bwrap and python3 present, user and mount
// namespaces allowed: it runs a one-line program), with why not and what to do.
Status SandboxAvailable();

}  // namespace kaizen::tools
