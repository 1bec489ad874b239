#include "agents/tools/tool_spec.h"

#include <catch2/catch.hpp>

namespace kaizen::tools {
namespace {

using json = nlohmann::json;

json AddSpec() {
  return {{"name", "add"},
          {"description", "Adds two numbers"},
          {"parameters",
           {{"type", "object"},
            {"properties", {{"a", {{"type", "number"}}}, {"b", {{"type", "integer"}}}}},
            {"required", {"a", "b"}}}},
          {"code", "def add(a, b):\n    return a + b\n"},
          {"tests", {{{"arguments", {{"a", 1.5}, {"b", 2}}}, {"expected", 3.5}}}}};
}

std::string SpecError(json j) {
  auto r = ParseToolSpec(j);
  return r.ok() ? "" : r.status().message();
}

}  // namespace

TEST_CASE("tool spec: a good spec parses, round-trips and offers itself as a chat tool") {
  auto spec = ParseToolSpec(AddSpec());
  REQUIRE(spec.ok());
  CHECK(spec->name == "add");
  CHECK(spec->tests.size() == 1);
  CHECK(spec->ToJson() == AddSpec());
  CHECK(spec->ContentHash().size() == 64);
  auto again = ParseToolSpec(spec->ToJson());
  REQUIRE(again.ok());
  CHECK(again->ContentHash() == spec->ContentHash());
  json t = spec->ChatTool();
  CHECK(t["type"] == "function");
  CHECK(t["function"]["name"] == "add");
  CHECK(t["function"]["parameters"]["required"] == json({"a", "b"}));
  json other = AddSpec();
  other["code"] = "def add(a, b):\n    return b + a\n";
  CHECK(ParseToolSpec(other)->ContentHash() != spec->ContentHash());
}

TEST_CASE("tool spec: each bad part is refused, naming the field") {
  json j = AddSpec();
  j["name"] = "2add";
  CHECK(SpecError(j).find("name '2add' is not a tool name") != std::string::npos);
  j["name"] = "lambda";
  CHECK(SpecError(j) == "name 'lambda' is a Python keyword");
  j = AddSpec();
  j.erase("description");
  CHECK(SpecError(j) == "description must be a string");
  j = AddSpec();
  j["parameters"]["type"] = "array";
  CHECK(SpecError(j) == "parameters must be a JSON schema of type \"object\"");
  j = AddSpec();
  j["parameters"]["properties"]["a"] = {{"type", "decimal"}};
  CHECK(SpecError(j).find("parameters.properties.a needs a \"type\"") == 0);
  j = AddSpec();
  j["parameters"]["required"] = {"a", "c"};
  CHECK(SpecError(j) == "parameters.required names \"c\", which is not a property");
  j = AddSpec();
  j["code"] = "def plus(a, b):\n    return a + b\n";
  CHECK(SpecError(j) == "code does not define the function add(...) at top level");
  j["code"] = "class X:\n    def add(self, a, b):\n        return a + b\n";
  CHECK(SpecError(j) == "code does not define the function add(...) at top level");
  j = AddSpec();
  j["code"] = std::string(kMaxToolCodeBytes + 1, '#');
  CHECK(SpecError(j).find("more than") != std::string::npos);
  j = AddSpec();
  j["tests"] = json::array();
  CHECK(SpecError(j).find("tests must be a non-empty list") == 0);
  j = AddSpec();
  j["tests"][0].erase("expected");
  CHECK(SpecError(j) == "tests[0] needs \"arguments\" and \"expected\"");
  j = AddSpec();
  j["tests"][0]["arguments"] = {{"a", 1}};
  CHECK(SpecError(j) == "tests[0].arguments: the required argument 'b' is missing");
  j["tests"][0]["arguments"] = {{"a", 1}, {"b", 2.5}};
  CHECK(SpecError(j) == "tests[0].arguments: argument 'b' must be of type integer, got 2.5");
  j["tests"][0]["arguments"] = {{"a", "1"}, {"b", 2}};
  CHECK(SpecError(j) == "tests[0].arguments: argument 'a' must be of type number, got \"1\"");
  j["tests"][0]["arguments"] = {{"a", 1}, {"b", 2}, {"c", 3}};
  CHECK(SpecError(j) == "tests[0].arguments: 'c' is not an argument of add");
  CHECK(SpecError(json::array()) == "a tool is a JSON object");
}

TEST_CASE("tool spec: a model's reply, fenced or declining") {
  auto fenced = ParseToolReply("Here is the tool:\n```json\n" + AddSpec().dump(2) + "\n```\n");
  REQUIRE(fenced.ok());
  CHECK(fenced->name == "add");
  auto declined = ParseToolReply(R"({"error": "no tool fits these failures"})");
  REQUIRE_FALSE(declined.ok());
  CHECK(declined.status().message() == "the model wrote no tool: no tool fits these failures");
  CHECK(ParseToolReply("no json here").status().message() == "the reply has no JSON object");
  CHECK(ParseToolReply("{not json}").status().message().find("does not parse") != std::string::npos);
}

}  // namespace kaizen::tools
