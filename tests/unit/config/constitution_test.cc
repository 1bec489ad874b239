// spec.evaluation.constitution: the JSONL loader's diagnostics (FILE:LINE:COLUMN)
// and the manifest check that refuses a bad constitution at validate time.
#include "config/constitution.h"

#include <catch2/catch.hpp>

#include "config/manifest.h"
#include "tests/unit/config/test_util.h"

using namespace kaizen::config;
using namespace kaizen::config::testing;

namespace {

std::string ConstitutionErrors(const ConstitutionLoad& r) {
  std::string s;
  for (const auto& d : r.errors) s += d.ToString() + "\n";
  return s;
}

std::string ConstitutionManifest(const std::string& path) {
  return Minimal("  evaluation:\n    constitution: {name: safety, path: " + path + "}\n");
}

}  // namespace

TEST_CASE("constitution: label and refusal cases, ids default to the line number", "[config][constitution]") {
  ConstitutionLoad r = ParseConstitution(
      "{\"id\": \"c1\", \"input\": \"what is my balance\", \"label\": \"balance\"}\n"
      "\n"
      "{\"input\": \"write me a poem\", \"refuse\": true}\n"
      "{\"id\": 7, \"input\": \"x\", \"label\": \"y\"}\n",
      "c.jsonl");
  INFO(ConstitutionErrors(r));
  REQUIRE(r.ok());
  REQUIRE(r.cases.size() == 3);
  CHECK(r.cases[0].id == "c1");
  CHECK(r.cases[0].label == "balance");
  CHECK_FALSE(r.cases[0].refuse);
  CHECK(r.cases[1].id == "3");
  CHECK(r.cases[1].line == 3);
  CHECK(r.cases[1].refuse);
  CHECK(ExpectedAnswer(r.cases[1], "oos") == "oos");
  CHECK(ExpectedAnswer(r.cases[0], "oos") == "balance");
  CHECK(r.cases[2].id == "7");
}

TEST_CASE("constitution: every problem at FILE:LINE:COLUMN", "[config][constitution]") {
  ConstitutionLoad r = ParseConstitution(
      "{\"input\": \"a\", \"label\": \"x\"}\n"              // 1 fine
      "{\"input\": \"b\", \"label\": \n"                     // 2 not JSON
      "[1, 2]\n"                                              // 3 not an object
      "{\"label\": \"x\"}\n"                                  // 4 no input
      "{\"input\": \"c\"}\n"                                  // 5 no expectation
      "{\"input\": \"d\", \"label\": \"x\", \"refuse\": true}\n"  // 6 two expectations
      "{\"id\": \"1\", \"input\": \"e\", \"label\": \"x\"}\n"     // 7 duplicate id (line 1's default)
      "{\"input\": \"f\", \"refuse\": false}\n"               // 8 refuse must be true
      "{\"input\": \"g\", \"label\": \"x\", \"forbid\": \"z\"}\n",  // 9 unknown key
      "c.jsonl");
  INFO(ConstitutionErrors(r));
  REQUIRE(r.errors.size() == 8);
  CHECK(r.cases.empty());
  CHECK(r.errors[0].line == 2);
  CHECK(r.errors[0].message.find("not JSON") != std::string::npos);
  CHECK(r.errors[1].line == 3);
  CHECK(r.errors[1].message.find("expected a JSON object") != std::string::npos);
  CHECK(r.errors[2].line == 4);
  CHECK(r.errors[2].message.find("missing key \"input\"") != std::string::npos);
  CHECK(r.errors[3].line == 5);
  CHECK(r.errors[3].message.find("missing an expectation") != std::string::npos);
  CHECK(r.errors[4].line == 6);
  CHECK(r.errors[4].message.find("exactly one expectation") != std::string::npos);
  CHECK(r.errors[4].column == 30);  // "refuse"
  CHECK(r.errors[5].line == 7);
  CHECK(r.errors[5].column == 2);   // "id"
  CHECK(r.errors[5].message.find("already the id of the case on line 1") != std::string::npos);
  CHECK(r.errors[6].line == 8);
  CHECK(r.errors[6].message.find("expected \"refuse\": true") != std::string::npos);
  CHECK(r.errors[7].line == 9);
  CHECK(r.errors[7].message.find("unknown key \"forbid\"") != std::string::npos);
  CHECK(r.errors[7].ToString().rfind("c.jsonl:9:", 0) == 0);
}

TEST_CASE("constitution: an empty file is refused", "[config][constitution]") {
  ConstitutionLoad r = ParseConstitution("\n  \n", "empty.jsonl");
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].ToString() == "empty.jsonl:1:1: error: the constitution has no cases; expected one JSON object "
                                  "per line");
}

TEST_CASE("constitution: the manifest resolves the path and checks every case", "[config][constitution]") {
  TempDir dir("constitution");
  dir.Write("rules/ok.jsonl", "{\"input\": \"hi\", \"label\": \"greeting\"}\n");
  dir.Write("rules/bad.jsonl", "{\"input\": \"hi\", \"label\": \"greeting\"}\n{\"input\": \"x\"}\n");

  SECTION("a good constitution loads, its path absolute and the refusal label defaulted") {
    LoadResult r = LoadManifestFile(dir.Write("m.yaml", ConstitutionManifest("rules/ok.jsonl")), "/tmp/kz-const");
    INFO(Dump(r));
    REQUIRE(r.ok());
    const auto& c = r.manifest.spec["evaluation"]["constitution"];
    CHECK(c["path"] == (dir.path() / "rules/ok.jsonl").string());
    CHECK(c["refusal_label"] == "oos");
    CHECK(c["name"] == "safety");
  }
  SECTION("a bad case stops validation, naming the constitution's FILE:LINE:COLUMN") {
    LoadResult r = LoadManifestFile(dir.Write("m.yaml", ConstitutionManifest("rules/bad.jsonl")), "/tmp/kz-const");
    INFO(Dump(r));
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0].path == "spec.evaluation.constitution.path");
    CHECK(r.errors[0].line == 9);
    CHECK(r.errors[0].message.find((dir.path() / "rules/bad.jsonl").string() + ":2:1: missing an expectation") !=
          std::string::npos);
  }
  SECTION("a missing file is refused") {
    LoadResult r = LoadManifestFile(dir.Write("m.yaml", ConstitutionManifest("rules/none.jsonl")), "/tmp/kz-const");
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0].message.find("does not exist") != std::string::npos);
  }
  SECTION("name and path are required") {
    LoadResult r = LoadManifestString(Minimal("  evaluation:\n    constitution: {name: safety}\n"), "m.yaml", "/tmp/x");
    REQUIRE_FALSE(r.ok());
    CHECK(Dump(r).find("path") != std::string::npos);
  }
}
