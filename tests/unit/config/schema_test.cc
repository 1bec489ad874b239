// The building blocks: scalar typing, suggestions, defaults, the validator on
// small schemas, and the YAML shape guard.
#include <catch2/catch.hpp>
#include <stdexcept>

#include "config/diagnostic.h"
#include "config/manifest_schema.h"
#include "config/scalar.h"
#include "config/schema.h"
#include "config/suggest.h"
#include "config/validator.h"
#include "config/yaml_guard.h"

using namespace kaizen::config;
using json = nlohmann::json;

TEST_CASE("scalars are typed by the YAML 1.2 core schema and quoted ones are strings", "[config]") {
  auto kind = [](const char* yaml) { return KindOf(YAML::Load(std::string("v: ") + yaml)["v"]); };
  CHECK(kind("42") == ScalarKind::kInt);
  CHECK(kind("-7") == ScalarKind::kInt);
  CHECK(kind("0x1F") == ScalarKind::kInt);
  CHECK(kind("1.5") == ScalarKind::kNumber);
  CHECK(kind("1e-4") == ScalarKind::kNumber);
  CHECK(kind("true") == ScalarKind::kBool);
  CHECK(kind("yes") == ScalarKind::kString);  // YAML 1.1 booleans are just words
  CHECK(kind("\"42\"") == ScalarKind::kString);
  CHECK(kind("'true'") == ScalarKind::kString);
  CHECK(kind("~") == ScalarKind::kNull);
  CHECK(kind("") == ScalarKind::kNull);
  CHECK(ParseInt("99999999999999999999") == std::nullopt);  // overflow is not a number
  CHECK(ParseInt("+12") == 12);
  CHECK(Describe(YAML::Load("v: abc")["v"]) == "\"abc\" (string)");
  CHECK(Describe(YAML::Load("v: 3")["v"]) == "3 (integer)");
  CHECK(Describe(YAML::Load("v: [1]")["v"]) == "a list");
  CHECK(Describe(YAML::Load("v: {a: 1}")["v"]) == "a mapping");
}

TEST_CASE("suggestions pick the nearest known name only when it is close", "[config]") {
  CHECK(EditDistance("kitten", "sitting") == 3);
  CHECK(Nearest("intervall_ms", {"interval_ms", "liveness"}) == "interval_ms");
  CHECK(Nearest("interval", {"interval_ms", "liveness"}) == "interval_ms");
  CHECK(Nearest("zzz", {"interval_ms", "liveness"}).empty());
  CHECK(Nearest("ab", {"id"}).empty());
}

TEST_CASE("defaults fill nested objects, list items and union variants", "[config]") {
  auto inner = ObjectBuilder("inner").Default("n", Int(0, 10), 3, "n").Build();
  auto variant = ObjectBuilder("v").Required("kind", Enum({"a"}), "k").Default("x", Bool(), true, "x").Build();
  auto schema = ObjectBuilder("root")
                    .Default("inner", inner, json::object(), "inner")
                    .Default("items", ListOf(Union("kind", "u", {{"a", variant}})), json::array({{{"kind", "a"}}}), "items")
                    .Optional("maybe", Int(0, 1), "absent stays absent")
                    .Build();
  json filled = FillDefaults(*schema, json::object());
  CHECK(filled == json::parse(R"({"inner": {"n": 3}, "items": [{"kind": "a", "x": true}]})"));
}

TEST_CASE("the validator converts types, keeps going after errors, and reports each once", "[config]") {
  auto schema = ObjectBuilder("root")
                    .Required("name", String(), "name")
                    .Default("count", Int(1, 5), 2, "count")
                    .Default("ratio", Double(0.0, 1.0, true), 0.5, "ratio")
                    .Default("on", Bool(), false, "on")
                    .Default("tags", ListOf(String(), 0, true), json::array(), "tags")
                    .Build();
  std::vector<kaizen::config::Diagnostic> errors;
  Validator v("f.yaml", &errors);
  json out = v.Validate(*schema, YAML::Load("name: x\ncount: 9\nratio: 1\non: true\ntags: [a, b, a]\n"));
  REQUIRE(errors.size() == 2);
  CHECK(errors[0].ToString() == "f.yaml:2:8: error: count: expected integer in 1..5, found 9 (integer)");
  CHECK(errors[1].ToString() == "f.yaml:5:14: error: tags[2]: duplicate item \"a\" (first given on line 5)");
  CHECK(out["name"] == "x");
  CHECK(out["ratio"] == 1.0);
  CHECK(out["on"] == true);
  CHECK_FALSE(out.contains("count"));  // invalid: left out for later checks
  CHECK(v.HasErrorsUnder("tags"));
  CHECK_FALSE(v.HasErrorsUnder("ta"));
  CHECK(v.marks().Find("tags[1]").line == 4);
  CHECK(v.marks().Find("tags[7].deeper").line == 4);  // nearest known ancestor
}

TEST_CASE("the validator stops after too many errors", "[config]") {
  auto schema = ObjectBuilder("root").Default("xs", ListOf(Int(0, 0)), json::array(), "xs").Build();
  std::vector<kaizen::config::Diagnostic> errors;
  Validator v("f.yaml", &errors, ValidationLimits{1000, 5});
  v.Validate(*schema, YAML::Load("xs: [1, 2, 3, 4, 5, 6, 7, 8, 9]"));
  REQUIRE(errors.size() == 6);
  CHECK(errors.back().message.find("too many errors") != std::string::npos);
}

TEST_CASE("the shape guard refuses deep nesting, alias bombs and extra documents", "[config]") {
  CHECK_FALSE(CheckYamlShape("a: {b: [1, 2, {c: d}]}\n"));
  CHECK_FALSE(CheckYamlShape("a: &x {p: 1}\nb: *x\n"));  // plain aliases are fine

  auto deep = CheckYamlShape("a: " + std::string(200, '[') + std::string(200, ']') + "\n");
  REQUIRE(deep);
  CHECK(deep->message.find("nesting deeper than") != std::string::npos);

  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (char c = 'b'; c <= 'h'; ++c) {
    std::string prev(1, static_cast<char>(c - 1));
    bomb += std::string(1, c) + ": &" + c + " [";
    for (int i = 0; i < 10; ++i) bomb += (i ? ", *" : "*") + prev;
    bomb += "]\n";
  }
  auto boom = CheckYamlShape(bomb);
  REQUIRE(boom);
  CHECK(boom->message.find("expands to more than") != std::string::npos);

  auto two = CheckYamlShape("a: 1\n---\nb: 2\n");
  REQUIRE(two);
  CHECK(two->mark.line == 1);
}

TEST_CASE("diagnostics render as FILE:LINE:COLUMN: error: PATH: MESSAGE and sort in file order", "[config]") {
  std::vector<kaizen::config::Diagnostic> ds = {{"m.yaml", 3, 1, "b", "second"},
                                                {"m.yaml", 1, 9, "a.b", "first"},
                                                {"m.yaml", 0, 0, "", "no position"}};
  SortByPosition(&ds);
  CHECK(ds[0].ToString() == "m.yaml: error: no position");
  CHECK(ds[1].ToString() == "m.yaml:1:9: error: a.b: first");
  CHECK(ds[2].ToString() == "m.yaml:3:1: error: b: second");
  CHECK(std::string(RestartPolicyName(RestartPolicy::kOnFailure)) == "on-failure");
}

TEST_CASE("SchemaDefault: the default the loader fills in, by dotted path, and a path without one is a programming error",
          "[config]") {
  using kaizen::config::SchemaDefault;
  // The two approval timeouts differ: a plan waits 10 minutes, a promotion an hour.
  CHECK(SchemaDefault("spec.planning.approval_timeout_s") == 600);
  CHECK(SchemaDefault("spec.deployment.approval_timeout_s") == 3600);
  CHECK(SchemaDefault("spec.deployment.approval_timeout_policy") == "reject");
  CHECK(SchemaDefault("spec.deployment.require_approval") == false);
  CHECK(SchemaDefault("spec.planning.max_replans") == 1);
  CHECK(SchemaDefault("spec.worker.during_improvement") == "clone");
  CHECK(SchemaDefault("spec.simulator.stop_cluster_at_end") == true);
  CHECK_THROWS_AS(SchemaDefault("spec.planning.no_such_key"), std::logic_error);
  CHECK_THROWS_AS(SchemaDefault("metadata.name"), std::logic_error);  // required: no default
  // "[]" steps into a list's items: every teacher entry's defaults.
  CHECK(SchemaDefault("spec.teachers[].cost_per_call") == 0.001);
  CHECK(SchemaDefault("spec.teachers[].train.split") == "train");
  CHECK_THROWS_AS(SchemaDefault("spec.teachers[]"), std::logic_error);
  CHECK_THROWS_AS(SchemaDefault("spec.planning[].max_replans"), std::logic_error);  // no list
}

TEST_CASE("SettingOrDefault: a key set wins, a key left out or null is the schema's default", "[config]") {
  using kaizen::config::SettingOrDefault;
  using json = nlohmann::json;
  CHECK(SettingOrDefault(json{{"max_replans", 3}}, "spec.planning", "max_replans") == 3);
  CHECK(SettingOrDefault(json::object(), "spec.planning", "max_replans") == 1);
  CHECK(SettingOrDefault(json{{"max_replans", nullptr}}, "spec.planning", "max_replans") == 1);
  CHECK(SettingOrDefault(json(), "spec.planning", "max_replans") == 1);  // no section at all
}
