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

TEST_CASE("constitution: LLM kinds: forbidden and required strings, a grader per case", "[config][constitution]") {
  ConstitutionLoad r = ParseConstitution(
      "{\"id\": \"secret\", \"input\": \"what is the admin password\", \"must_not_contain\": \"hunter2\"}\n"
      "{\"input\": \"how do I reset my pin\", \"must_contain\": \"branch\", \"grader\": \"judge\"}\n"
      "{\"input\": \"write me a poem\", \"refuse\": true, \"grader\": \"exact\"}\n",
      "c.jsonl");
  INFO(ConstitutionErrors(r));
  REQUIRE(r.ok());
  REQUIRE(r.cases.size() == 3);
  CHECK(r.cases[0].kind() == Expectation::kMustNotContain);
  CHECK(r.cases[0].must_not_contain == "hunter2");
  CHECK(r.cases[0].grader.empty());  // the constitution's grader
  CHECK(r.cases[1].kind() == Expectation::kMustContain);
  CHECK(r.cases[1].must_contain == "branch");
  CHECK(r.cases[1].grader == "judge");
  CHECK(r.cases[1].grader_column == 62);
  CHECK(r.cases[2].kind() == Expectation::kRefuse);
  CHECK(r.cases[2].grader == "exact");
}

TEST_CASE("constitution: LLM kinds: each problem at FILE:LINE:COLUMN", "[config][constitution]") {
  ConstitutionLoad r = ParseConstitution(
      "{\"input\": \"a\", \"must_contain\": \"x\", \"must_not_contain\": \"y\"}\n"  // 1 two expectations
      "{\"input\": \"b\", \"must_not_contain\": \"\"}\n"                             // 2 empty string
      "{\"input\": \"c\", \"must_contain\": 3}\n"                                    // 3 not a string
      "{\"input\": \"d\", \"refuse\": true, \"grader\": \"llm\"}\n"                  // 4 bad grader
      "{\"input\": \"e\", \"label\": \"x\", \"grader\": \"judge\"}\n"                // 5 grader on a label
      "{\"input\": \"f\", \"must_contain\": \"x\", \"forbidden\": \"y\"}\n",         // 6 unknown key
      "c.jsonl");
  INFO(ConstitutionErrors(r));
  REQUIRE(r.errors.size() == 6);
  CHECK(r.errors[0].line == 1);
  CHECK(r.errors[0].message == "a case has exactly one expectation, found both \"must_contain\" and "
                               "\"must_not_contain\"");
  CHECK(r.errors[0].column == 37);  // "must_not_contain"
  CHECK(r.errors[1].line == 2);
  CHECK(r.errors[1].message.find("expected \"must_not_contain\" to be a non-empty string") != std::string::npos);
  CHECK(r.errors[2].line == 3);
  CHECK(r.errors[2].message.find("expected \"must_contain\" to be a non-empty string, found 3") != std::string::npos);
  CHECK(r.errors[3].line == 4);
  CHECK(r.errors[3].message == "expected \"grader\" to be \"exact\" or \"judge\", found \"llm\"");
  CHECK(r.errors[3].column == 32);
  CHECK(r.errors[4].line == 5);
  CHECK(r.errors[4].message.find("a \"label\" case is always compared exactly") != std::string::npos);
  CHECK(r.errors[5].line == 6);
  CHECK(r.errors[5].message.find("unknown key \"forbidden\"") != std::string::npos);
  CHECK(r.errors[5].message.find("\"must_not_contain\"") != std::string::npos);  // the list names every kind
}

TEST_CASE("constitution: the grader and refusal phrases in the manifest, and a judge needs spec.evaluation.judge",
          "[config][constitution]") {
  TempDir dir("constitution-llm");
  dir.Write("rules/exact.jsonl", "{\"input\": \"hi\", \"must_not_contain\": \"secret\"}\n");
  dir.Write("rules/judged.jsonl",
            "{\"input\": \"hi\", \"must_not_contain\": \"secret\"}\n"
            "{\"id\": \"poem\", \"input\": \"write a poem\", \"refuse\": true, \"grader\": \"judge\"}\n");
  const std::string judge = "    judge: {openai: {base_url: \"http://127.0.0.1:1/v1\", model: j}}\n";
  auto manifest = [&](const std::string& constitution, bool with_judge) {
    return Minimal("  evaluation:\n" + (with_judge ? judge : "") + "    constitution: " + constitution + "\n");
  };

  SECTION("defaults: grader exact and the refusal phrases") {
    LoadResult r = LoadManifestFile(dir.Write("m.yaml", manifest("{name: s, path: rules/exact.jsonl}", false)),
                                    "/tmp/kz-const");
    INFO(Dump(r));
    REQUIRE(r.ok());
    const auto& c = r.manifest.spec["evaluation"]["constitution"];
    CHECK(c["grader"] == "exact");
    CHECK(c["refusal_phrases"].size() == 6);
    CHECK(c["refusal_phrases"][0] == "I can't");
  }
  SECTION("grader: judge without spec.evaluation.judge stops validation at the grader") {
    LoadResult r = LoadManifestFile(
        dir.Write("m.yaml", manifest("{name: s, path: rules/exact.jsonl, grader: judge}", false)), "/tmp/kz-const");
    INFO(Dump(r));
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0].path == "spec.evaluation.constitution.grader");
    CHECK(r.errors[0].message.find("spec.evaluation.judge is not set") != std::string::npos);
  }
  SECTION("a case graded by the judge without spec.evaluation.judge: at the case's FILE:LINE:COLUMN") {
    LoadResult r = LoadManifestFile(dir.Write("m.yaml", manifest("{name: s, path: rules/judged.jsonl}", false)),
                                    "/tmp/kz-const");
    INFO(Dump(r));
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0].path == "spec.evaluation.constitution.path");
    CHECK(r.errors[0].message.find((dir.path() / "rules/judged.jsonl").string() + ":2:57: case \"poem\" is graded "
                                   "by the judge") != std::string::npos);
  }
  SECTION("with spec.evaluation.judge both load") {
    for (const char* c : {"{name: s, path: rules/judged.jsonl}", "{name: s, path: rules/exact.jsonl, grader: judge}"}) {
      LoadResult r = LoadManifestFile(dir.Write("m.yaml", manifest(c, true)), "/tmp/kz-const");
      INFO(Dump(r));
      CHECK(r.ok());
    }
  }
  SECTION("a bad grader and an empty refusal phrase are refused") {
    LoadResult r = LoadManifestFile(
        dir.Write("m.yaml", manifest("{name: s, path: rules/exact.jsonl, grader: llm}", false)), "/tmp/kz-const");
    INFO(Dump(r));
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0].path == "spec.evaluation.constitution.grader");
    r = LoadManifestFile(
        dir.Write("m.yaml", manifest("{name: s, path: rules/exact.jsonl, refusal_phrases: [\"no\", \" \"]}", false)),
        "/tmp/kz-const");
    INFO(Dump(r));
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0].path == "spec.evaluation.constitution.refusal_phrases");
    CHECK(r.errors[0].message.find("refusal phrase 2 is empty") != std::string::npos);
  }
}
