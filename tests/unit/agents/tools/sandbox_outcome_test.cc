#include "agents/tools/sandbox_outcome.h"

#include <signal.h>

#include <catch2/catch.hpp>

namespace kaizen::tools {
namespace {

using Outcome = SandboxRun::Outcome;

RunEnding Exit(int bwrap_exit_code, double cpu_seconds = 0) {
  RunEnding ending;
  ending.bwrap_exit_code = bwrap_exit_code;
  ending.cpu_seconds = cpu_seconds;
  return ending;
}

SandboxRun Read(RunEnding ending, const std::string& stderr_text = "") {
  SandboxRun run;
  run.stderr_text = stderr_text;
  ReadOutcome(ending, SandboxLimits{}, &run);
  return run;
}

}  // namespace

TEST_CASE("sandbox outcome: the last line of stderr, trimmed") {
  CHECK(LastLine("Traceback\n  File x\nValueError: bad\n\n") == "ValueError: bad");
  CHECK(LastLine("") == "");
  CHECK(LastLine("  one  ") == "one");
  CHECK(LastLine(std::string(300, 'x')).size() == 200);
}

TEST_CASE("sandbox outcome: exit codes and signals") {
  CHECK(Read(Exit(0)).outcome == Outcome::kOk);
  SandboxRun failed = Read(Exit(2), "oops\n");
  CHECK(failed.outcome == Outcome::kFailed);
  CHECK(failed.exit_code == 2);
  CHECK(failed.reason == "exited with code 2: oops");
  CHECK(Read(Exit(1)).reason == "exited with code 1");
  SandboxRun sys = Read(Exit(128 + SIGSYS));
  CHECK(sys.outcome == Outcome::kForbiddenCall);
  CHECK(sys.signal == SIGSYS);
  CHECK(sys.exit_code == -1);
  SandboxRun cpu = Read(Exit(128 + SIGXCPU));
  CHECK(cpu.outcome == Outcome::kTimedOut);
  CHECK(cpu.reason == "timed out after 2.0 s of CPU; killed by SIGXCPU");
  CHECK(Read(Exit(128 + SIGKILL, 2.5)).outcome == Outcome::kTimedOut);
  CHECK(Read(Exit(128 + SIGKILL, 0.1)).outcome == Outcome::kCrashed);
  CHECK(Read(Exit(128 + SIGSEGV)).reason == "crashed: killed by SIGSEGV");
}

TEST_CASE("sandbox outcome: what the sandbox did comes first") {
  RunEnding killed = Exit(128 + SIGKILL);
  killed.wall_timeout = true;
  SandboxRun wall = Read(killed);
  CHECK(wall.outcome == Outcome::kTimedOut);
  CHECK(wall.reason == "timed out after 5.0 s of wall time; killed");
  killed.wall_timeout = false;
  killed.output_overflow = "stdout";
  SandboxRun cut = Read(killed);
  CHECK(cut.outcome == Outcome::kOutputTooLarge);
  CHECK(cut.reason == "wrote more than 64 KiB on stdout; cut there and killed");
}

TEST_CASE("sandbox outcome: memory and process limits read from stderr") {
  SandboxRun memory = Read(Exit(1), "Traceback (most recent call last):\nMemoryError\n");
  CHECK(memory.outcome == Outcome::kMemory);
  CHECK(memory.reason == "ran out of its 256 MiB of memory: MemoryError");
  SandboxRun procs = Read(Exit(1), "BlockingIOError: [Errno 11] Resource temporarily unavailable\n");
  CHECK(procs.outcome == Outcome::kProcesses);
  CHECK(procs.reason.find("limit of 16 processes") != std::string::npos);
}

}  // namespace kaizen::tools
