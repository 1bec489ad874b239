#include "agents/tools/tool_runner.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include "agents/tools/sandbox_outcome.h"
#include "runtime/base/text.h"

namespace kaizen::tools {
namespace {

using json = nlohmann::json;

// Unlikely in a tool's own output; a tool that prints it only fools itself.
constexpr const char* kResultMarker = "\x1e" "kaizen-tool-result:";
constexpr int kNotJsonExit = 97;

// The tool's code, then the harness. Names start with __kaizen so they do
// not clash with the tool's.
std::string HarnessProgram(const ToolSpec& spec) {
  return spec.code +
         "\n\n"
         "import json as __kaizen_json, sys as __kaizen_sys\n"
         "__kaizen_args = __kaizen_json.loads(__kaizen_sys.stdin.read())\n"
         "__kaizen_result = " + spec.name + "(**__kaizen_args)\n"
         "try:\n"
         "    __kaizen_text = __kaizen_json.dumps(__kaizen_result, allow_nan=False)\n"
         "except (TypeError, ValueError) as __kaizen_e:\n"
         "    __kaizen_sys.stderr.write('the result is not JSON: %s\\n' % __kaizen_e)\n"
         "    __kaizen_sys.exit(" + std::to_string(kNotJsonExit) + ")\n"
         "__kaizen_sys.stdout.write('\\n" + std::string("\\x1ekaizen-tool-result:") + "' + __kaizen_text + '\\n')\n";
}

// A number, or a string that is one (surrounding space ignored).
std::optional<double> ToolNumber(const json& v) {
  if (v.is_number()) return v.get<double>();
  if (v.is_string()) return ParseDecimal(Trim(v.get<std::string>()));
  return std::nullopt;
}

}  // namespace

Result<ToolCall> CallTool(const ToolSpec& spec, const json& arguments, const SandboxLimits& limits) {
  ToolCall call;
  if (Status s = CheckArguments(spec, arguments); !s.ok()) {
    call.reason = "refused before running: " + s.message();
    return call;
  }
  auto run = RunPython(HarnessProgram(spec), arguments.dump(), limits);
  if (!run.ok()) return run.status();
  call.outcome = run->outcome;
  call.wall_seconds = run->wall_seconds;
  if (!run->ok()) {
    call.reason = run->exit_code == kNotJsonExit ? LastLine(run->stderr_text) : run->reason;
    return call;
  }
  const auto at = run->stdout_text.rfind(kResultMarker);
  if (at == std::string::npos) {
    call.reason = "the tool exited without a result";
    return call;
  }
  try {
    call.value = json::parse(run->stdout_text.substr(at + std::string(kResultMarker).size()));
  } catch (const json::exception& e) {
    call.reason = std::string("the tool's result does not parse: ") + e.what();
    return call;
  }
  call.ok = true;
  return call;
}

bool SameToolValue(const json& got, const json& expected) {
  const std::optional<double> g = ToolNumber(got), e = ToolNumber(expected);
  if (g && e && (got.is_number() || expected.is_number())) {
    return std::fabs(*g - *e) <= std::max(1e-9, 1e-6 * std::fabs(*e));
  }
  if (got.is_string() && expected.is_string()) return Trim(got.get<std::string>()) == Trim(expected.get<std::string>());
  if (got.is_array() && expected.is_array()) {
    if (got.size() != expected.size()) return false;
    for (size_t i = 0; i < got.size(); ++i) {
      if (!SameToolValue(got[i], expected[i])) return false;
    }
    return true;
  }
  if (got.is_object() && expected.is_object()) {
    if (got.size() != expected.size()) return false;
    for (const auto& [k, v] : expected.items()) {
      if (!got.contains(k) || !SameToolValue(got[k], v)) return false;
    }
    return true;
  }
  return got == expected;
}

Result<ToolTestReport> RunToolTests(const ToolSpec& spec, const SandboxLimits& limits) {
  ToolTestReport report;
  for (const ToolTest& test : spec.tests) {
    auto call = CallTool(spec, test.arguments, limits);
    if (!call.ok()) return call.status();
    ToolTestResult r;
    r.wall_seconds = call->wall_seconds;
    if (!call->ok) {
      r.reason = call->reason;
    } else {
      r.got = call->value;
      r.passed = SameToolValue(call->value, test.expected);
      if (!r.passed) r.reason = "returned " + call->value.dump() + " instead of " + test.expected.dump();
    }
    report.passed += r.passed ? 1 : 0;
    report.results.push_back(std::move(r));
  }
  return report;
}

std::string ToolTestReport::Summary(const ToolSpec& spec) const {
  const std::string of = std::to_string(results.size());
  if (accepted()) return "passed " + of + " of " + of + " tests";
  std::string s = "failed " + std::to_string(results.size() - static_cast<size_t>(passed)) + " of " + of + " tests";
  for (size_t i = 0; i < results.size(); ++i) {
    if (results[i].passed) continue;
    const json& args = i < spec.tests.size() ? spec.tests[i].arguments : json::object();
    std::string shown = args.dump();
    if (shown.size() > 80) shown = shown.substr(0, 77) + "...";
    return s + "; test " + std::to_string(i + 1) + " " + shown + ": " + results[i].reason;
  }
  return s;
}

json ToolTestReport::ToJson() const {
  json list = json::array();
  for (const auto& r : results) {
    json one = {{"passed", r.passed}, {"wall_seconds", r.wall_seconds}};
    if (!r.got.is_null() || r.passed) one["got"] = r.got;
    if (!r.reason.empty()) one["reason"] = r.reason;
    list.push_back(std::move(one));
  }
  return {{"passed", passed}, {"tests", static_cast<int>(results.size())}, {"accepted", accepted()}, {"results", list}};
}

}  // namespace kaizen::tools
