// `kaizen tools list|show` through the real binary, on a state dir whose tool
// repository holds an accepted and a rejected tool, written as the training
// agent writes them (tests run in the real sandbox).
#include <catch2/catch.hpp>

#include <fstream>

#include <nlohmann/json.hpp>

#include "agents/tools/tool_artifact.h"
#include "runtime/store/store.h"
#include "tests/integration/cluster_harness.h"
#include "tests/support/temp_dir.h"

using json = nlohmann::json;
using kaizen::testing::Kaizen;
namespace store = kaizen::store;
namespace tools = kaizen::tools;

namespace {

tools::ToolSpec CliTool(const std::string& body) {
  tools::ToolSpec spec;
  spec.name = "to_celsius";
  spec.description = "Converts degrees Fahrenheit to Celsius";
  spec.parameters = {{"type", "object"}, {"properties", {{"f", {{"type", "number"}}}}}, {"required", {"f"}}};
  spec.code = "def to_celsius(f):\n" + body;
  spec.tests = {{{{"f", 212}}, 100}, {{{"f", 32}}, 0}};
  return spec;
}

// Tests the tool in the sandbox, writes its artifact and registers it.
store::ToolRow Register(store::Store& s, const std::string& artifacts, const tools::ToolSpec& spec) {
  auto report = tools::RunToolTests(spec, tools::SandboxLimits{});
  REQUIRE(report.ok());
  auto artifact = tools::MakeToolArtifact(spec, *report, {{"cycle", "c3"}, {"teacher", "oracle"}});
  auto written = tools::WriteToolArtifact(artifacts, artifact);
  REQUIRE(written.ok());
  store::ToolRow row;
  row.name = spec.name;
  row.spec_sha256 = spec.ContentHash();
  row.uri = written->uri;
  row.sha256 = written->sha256;
  row.status = artifact.status;
  row.reason = artifact.reason;
  row.cycle = "c3";
  row.created_ms = 1'800'000'000'000;
  auto added = s.AddTool(row);
  REQUIRE(added.ok());
  return *added;
}

}  // namespace

TEST_CASE("kaizen tools list and show: versions, tests and their results, and a changed artifact is reported",
          "[cli][tools]") {
  kaizen::testing::TempDir dir("tools-cli");
  const std::string sd = " --state-dir " + dir.path().string();
  std::string good_uri;
  {
    auto s = store::Store::Open(dir.file("state.db"));
    REQUIRE(s.ok());
    good_uri = Register(**s, dir.file("artifacts/tools"), CliTool("    return (f - 32) * 5 / 9\n")).uri;
    const auto bad = Register(**s, dir.file("artifacts/tools"), CliTool("    return (f - 32) / 2\n"));
    CHECK(bad.status == "rejected");
    CHECK(bad.version == 2);
  }
  auto list = Kaizen("tools list" + sd);
  REQUIRE(list.exit_code == 0);
  CHECK(list.out.find("to_celsius") != std::string::npos);
  CHECK(list.out.find("accepted  c3") != std::string::npos);
  CHECK(list.out.find("failed 1 of 2 tests; test 1 {\"f\":212}: returned 90.0 instead of 100") != std::string::npos);
  auto list_json = Kaizen("tools list --json" + sd);
  REQUIRE(list_json.exit_code == 0);
  CHECK(json::parse(list_json.out.substr(0, list_json.out.find('\n')))["version"] == 1);

  auto show = Kaizen("tools show to_celsius" + sd);  // the latest accepted: v1
  REQUIRE(show.exit_code == 0);
  CHECK(show.out.find("tool to_celsius v1: accepted, written by cycle c3") != std::string::npos);
  CHECK(show.out.find("test 1: {\"f\":212} -> expected 100: ok, got 100.0") != std::string::npos);
  CHECK(show.out.find("    return (f - 32) * 5 / 9") != std::string::npos);
  CHECK(show.out.find("\"teacher\":\"oracle\"") != std::string::npos);
  auto v2 = Kaizen("tools show to_celsius --version 2 --json" + sd);
  REQUIRE(v2.exit_code == 0);
  json j = json::parse(v2.out);
  CHECK(j["status"] == "rejected");
  CHECK(j["tests"]["results"][0]["passed"] == false);
  CHECK(Kaizen("tools show nothing" + sd + " 2>/dev/null").exit_code == 2);

  // One byte of the accepted tool's file changed: show says so and fails.
  const std::string path = good_uri.substr(std::string("file://").size());
  {
    std::fstream f(path, std::ios::in | std::ios::out);
    f.seekp(2);
    f.put('#');
  }
  auto changed = Kaizen("tools show to_celsius" + sd);
  CHECK(changed.exit_code == 1);
  CHECK(changed.out.find("artifact NOT usable") != std::string::npos);
  CHECK(changed.out.find("sha256") != std::string::npos);
}
