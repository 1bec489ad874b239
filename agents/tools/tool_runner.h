// Runs a tool (tool_spec.h) in the sandbox (sandbox.h): one call, or its
// tests. This is the only way Kaizen runs a tool's code, for its tests at
// creation and for the worker's calls when serving.
//
// A call is one fresh sandbox run of the tool's code followed by a harness
// that reads the arguments (JSON) on stdin, calls the function with them as
// keyword arguments, and prints the result as JSON on its last stdout line,
// after a marker, so what the tool prints itself does not corrupt it.
//
// Failure: a Status only when the sandbox itself could not run (see
// RunPython). Whatever the tool does (an exception, a timeout, a socket, a
// result that is not JSON) is a ToolCall with ok false and a reason a person
// reads, e.g. "exited with code 1: ZeroDivisionError: division by zero" or
// "timed out after 2.0 s of CPU; killed by SIGXCPU".
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agents/tools/sandbox.h"
#include "agents/tools/tool_spec.h"
#include "runtime/base/result.h"

namespace kaizen::tools {

struct ToolCall {
  bool ok = false;
  nlohmann::json value;  // the function's return value, when ok
  std::string reason;    // why not, when not ok
  SandboxRun::Outcome outcome = SandboxRun::Outcome::kFailed;
  double wall_seconds = 0;
};

// Checks the arguments against the schema first: a call that does not fit is
// refused without running anything (ok false, outcome kFailed).
Result<ToolCall> CallTool(const ToolSpec& spec, const nlohmann::json& arguments, const SandboxLimits& limits);

struct ToolTestResult {
  bool passed = false;
  nlohmann::json got;  // the value returned, when the call succeeded
  std::string reason;  // "returned 4 instead of 5", or the call's reason
  double wall_seconds = 0;
};

struct ToolTestReport {
  std::vector<ToolTestResult> results;  // one per test, in order
  int passed = 0;
  bool accepted() const { return !results.empty() && passed == static_cast<int>(results.size()); }
  // "passed 5 of 5 tests", or "failed 2 of 5 tests; test 3 (...): timed out ..."
  std::string Summary(const ToolSpec& spec) const;
  nlohmann::json ToJson() const;
};

// Runs every test in its own sandbox run; a tool is accepted only when all pass.
Result<ToolTestReport> RunToolTests(const ToolSpec& spec, const SandboxLimits& limits);

// Whether a returned value matches the expected one: numbers within a
// relative 1e-6 (absolute 1e-9 near 0), a number and a string holding that
// number alike (models write "3.5" as often as 3.5), strings trimmed, arrays
// and objects element by element.
bool SameToolValue(const nlohmann::json& got, const nlohmann::json& expected);

}  // namespace kaizen::tools
