// Tools run through the sandbox: calls, tests, and the ways a created tool
// is rejected. Needs bubblewrap (scripts/install-deps.sh), like sandbox_test.
#include "agents/tools/tool_runner.h"

#include <catch2/catch.hpp>

namespace kaizen::tools {
namespace {

using json = nlohmann::json;

ToolSpec OneArgTool(const std::string& name, const std::string& body, std::vector<ToolTest> tests = {}) {
  ToolSpec spec;
  spec.name = name;
  spec.description = "a test tool";
  spec.parameters = {{"type", "object"}, {"properties", {{"x", {{"type", "number"}}}}}, {"required", {"x"}}};
  spec.code = "def " + name + "(x):\n" + body;
  spec.tests = tests.empty() ? std::vector<ToolTest>{{{{"x", 2}}, 4}} : std::move(tests);
  return spec;
}

SandboxLimits QuickLimits() {
  SandboxLimits limits;
  limits.cpu_seconds = 1;
  limits.wall_timeout_ms = 3000;
  return limits;
}

}  // namespace

TEST_CASE("tool runner: values compare as a person would") {
  CHECK(SameToolValue(json(3.5), json(3.5000000001)));
  CHECK(SameToolValue(json(4), json(4.0)));
  CHECK(SameToolValue(json("3.5"), json(3.5)));
  CHECK(SameToolValue(json(7), json(" 7 ")));
  CHECK_FALSE(SameToolValue(json("3.5"), json("3.50")));  // two strings compare as text
  CHECK_FALSE(SameToolValue(json(3.5), json(3.6)));
  CHECK(SameToolValue(json(0.0), json(1e-12)));
  CHECK(SameToolValue(json(" km "), json("km")));
  CHECK(SameToolValue(json({1, 2.0}), json({1.0, 2})));
  CHECK_FALSE(SameToolValue(json({1, 2}), json({1, 2, 3})));
  CHECK(SameToolValue(json({{"a", 1}}), json({{"a", 1.0}})));
  CHECK_FALSE(SameToolValue(json(true), json(1)));
  CHECK_FALSE(SameToolValue(json(nullptr), json(0)));
}

TEST_CASE("tool runner: a call returns the function's value, whatever the tool prints") {
  ToolSpec spec = OneArgTool("double_it", "    print('working on', x)\n    return x * 2\n");
  auto call = CallTool(spec, {{"x", 21}}, SandboxLimits{});
  REQUIRE(call.ok());
  INFO(call->reason);
  CHECK(call->ok);
  CHECK(call->value == 42);
  auto refused = CallTool(spec, {{"x", "21"}}, SandboxLimits{});
  REQUIRE(refused.ok());
  CHECK_FALSE(refused->ok);
  CHECK(refused->reason == "refused before running: argument 'x' must be of type number, got \"21\"");
}

TEST_CASE("tool runner: a tool passing its tests is accepted - a wrong answer or an exception is not") {
  ToolSpec good = OneArgTool("square", "    return x * x\n", {{{{"x", 2}}, 4}, {{{"x", 1.5}}, 2.25}});
  auto report = RunToolTests(good, SandboxLimits{});
  REQUIRE(report.ok());
  CHECK(report->accepted());
  CHECK(report->Summary(good) == "passed 2 of 2 tests");
  CHECK(report->ToJson()["results"][1]["got"] == 2.25);

  ToolSpec wrong = OneArgTool("square", "    return x * x + (1 if x > 1.9 else 0)\n", {{{{"x", 1}}, 1}, {{{"x", 2}}, 4}});
  report = RunToolTests(wrong, SandboxLimits{});
  REQUIRE(report.ok());
  CHECK_FALSE(report->accepted());
  CHECK(report->passed == 1);
  CHECK(report->Summary(wrong) == "failed 1 of 2 tests; test 2 {\"x\":2}: returned 5 instead of 4");

  ToolSpec raises = OneArgTool("inverse", "    return 1 / x\n", {{{{"x", 0}}, 0}});
  report = RunToolTests(raises, SandboxLimits{});
  REQUIRE(report.ok());
  CHECK(report->Summary(raises) ==
        "failed 1 of 1 tests; test 1 {\"x\":0}: exited with code 1: ZeroDivisionError: division by zero");

  ToolSpec not_json = OneArgTool("as_set", "    return {x}\n");
  auto call = CallTool(not_json, {{"x", 1}}, SandboxLimits{});
  REQUIRE(call.ok());
  CHECK_FALSE(call->ok);
  CHECK(call->reason == "the result is not JSON: Object of type set is not JSON serializable");
}

TEST_CASE("tool runner: a tool that loops, allocates 2 GiB, forks, opens a socket or writes /etc is rejected, "
          "each with its reason") {
  struct Bad {
    const char* what;
    const char* body;
    const char* reason_has;
  };
  const Bad bad[] = {
      {"loops", "    while True:\n        x += 1\n", "timed out"},
      {"allocates 2 GiB", "    b = bytearray(2 << 30)\n    return len(b)\n", "MemoryError"},
      {"forks", "    import os\n    for _ in range(64):\n        os.fork()\n    return x\n", "process"},
      {"opens a socket", "    import socket\n    socket.socket(socket.AF_INET, socket.SOCK_STREAM)\n    return x\n",
       "socket"},
      {"writes /etc", "    open('/etc/kaizen-tool', 'w').write('x')\n    return x\n", "Read-only file system"},
  };
  for (const Bad& b : bad) {
    ToolSpec spec = OneArgTool("misbehave", b.body);
    auto report = RunToolTests(spec, QuickLimits());
    REQUIRE(report.ok());
    const std::string summary = report->Summary(spec);
    INFO(b.what << ": " << summary);
    CHECK_FALSE(report->accepted());
    CHECK(summary.find(b.reason_has) != std::string::npos);
  }
}

}  // namespace kaizen::tools
