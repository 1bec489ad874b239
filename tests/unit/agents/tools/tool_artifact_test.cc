#include "agents/tools/tool_artifact.h"

#include <catch2/catch.hpp>
#include <fstream>

#include "runtime/base/sha256.h"
#include "tests/support/temp_dir.h"

namespace kaizen::tools {
namespace {

using json = nlohmann::json;

ToolSpec ArtifactTestSpec() {
  ToolSpec spec;
  spec.name = "halve";
  spec.description = "Halves a number";
  spec.parameters = {{"type", "object"}, {"properties", {{"x", {{"type", "number"}}}}}, {"required", {"x"}}};
  spec.code = "def halve(x):\n    return x / 2\n";
  spec.tests = {{{{"x", 3}}, 1.5}, {{{"x", 4}}, 2}};
  return spec;
}

ToolTestReport ArtifactTestReport(bool second_passes) {
  ToolTestReport r;
  r.results.push_back({true, 1.5, "", 0.05});
  r.results.push_back({second_passes, second_passes ? json(2) : json(3), second_passes ? "" : "returned 3 instead of 2", 0.05});
  r.passed = second_passes ? 2 : 1;
  return r;
}

}  // namespace

TEST_CASE("tool artifact: written under its content address and read back whole") {
  testing::TempDir dir;
  const ToolArtifact a = MakeToolArtifact(ArtifactTestSpec(), ArtifactTestReport(true), {{"cycle", "c4"}, {"teacher", "t"}});
  CHECK(a.status == "accepted");
  CHECK(a.reason == "passed 2 of 2 tests");
  auto w = WriteToolArtifact(dir.file("tools"), a);
  REQUIRE(w.ok());
  CHECK(w->path == dir.file("tools") + "/halve-" + a.spec.ContentHash().substr(0, 12) + ".json");
  CHECK(w->uri == "file://" + w->path);
  CHECK(*Sha256File(w->path) == w->sha256);
  auto back = ReadToolArtifact(w->uri);
  REQUIRE(back.ok());
  CHECK(back->spec.ContentHash() == a.spec.ContentHash());
  CHECK(back->status == "accepted");
  CHECK(back->provenance["cycle"] == "c4");
  CHECK(back->tests["results"].size() == 2);
  auto again = WriteToolArtifact(dir.file("tools"), a);  // the same tool is the same file
  REQUIRE(again.ok());
  CHECK(again->path == w->path);
  CHECK(again->sha256 == w->sha256);

  const ToolArtifact rejected = MakeToolArtifact(ArtifactTestSpec(), ArtifactTestReport(false), json::object());
  CHECK(rejected.status == "rejected");
  CHECK(rejected.reason == "failed 1 of 2 tests; test 2 {\"x\":4}: returned 3 instead of 2");
}

TEST_CASE("tool artifact: a file that is not one is refused, naming the file and what is wrong") {
  testing::TempDir dir;
  const std::string path = dir.file("t.json");
  std::ofstream(path) << "not json";
  CHECK(ReadToolArtifact(path).status().message().find("tool artifact " + path + " is not JSON") == 0);
  std::ofstream(path, std::ios::trunc) << R"({"format": "other"})";
  CHECK(ReadToolArtifact(path).status().message() == "tool artifact " + path + ": format is not kaizen.tool/v1");
  json doc = {{"format", "kaizen.tool/v1"}, {"tool", ArtifactTestSpec().ToJson()}, {"status", "maybe"}};
  std::ofstream(path, std::ios::trunc) << doc.dump();
  CHECK(ReadToolArtifact(path).status().message() == "tool artifact " + path + ": status must be accepted or rejected");
  doc["status"] = "accepted";
  doc["tool"]["code"] = "def other(x):\n    return x\n";
  std::ofstream(path, std::ios::trunc) << doc.dump();
  CHECK(ReadToolArtifact(path).status().message() ==
        "tool artifact " + path + ": tool: code does not define the function halve(...) at top level");
  CHECK_FALSE(ReadToolArtifact(dir.file("missing.json")).ok());
}

}  // namespace kaizen::tools
