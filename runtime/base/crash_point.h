// CrashPoint: a fault hook for tests. When the environment variable
// KAIZEN_TEST_CRASH_AT equals `point`, the process kills itself with SIGKILL
// right there, the way an OOM kill or `kill -9` could land at that exact
// line. The fault tests use it to prove that what a process commits is
// all-or-nothing across a crash (tests/faults/decision_commit_test.cc).
// Unset, it costs one string compare against a value read once.
#pragma once

#include <string_view>

namespace kaizen {

void CrashPoint(std::string_view point);

}  // namespace kaizen
