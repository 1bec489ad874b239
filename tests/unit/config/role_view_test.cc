// The one table of cross-role reads: complete over the roles, naming only keys
// the schema has, and cutting a spec down to exactly them.
#include "config/role_view.h"

#include <catch2/catch.hpp>

#include "config/manifest_schema.h"

namespace kaizen::config {
namespace {

using json = nlohmann::json;

// Whether the schema has the dotted path (through unions' variants too).
bool SchemaHas(const std::string& dotted) {
  std::vector<const Schema*> nodes = {&ManifestSchema()};
  std::size_t start = 0;
  while (start <= dotted.size()) {
    const std::size_t dot = dotted.find('.', start);
    const std::string key = dotted.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    std::vector<const Schema*> next;
    for (const Schema* n : nodes) {
      if (const Field* f = n->FindField(key)) next.push_back(f->schema.get());
      for (const auto& v : n->variants) {
        if (const Field* f = v.object->FindField(key)) next.push_back(f->schema.get());
      }
    }
    if (next.empty()) return false;
    nodes = next;
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return true;
}

}  // namespace

TEST_CASE("role view: every role has a row, and every path it shares is a key of the schema", "[config][role_view]") {
  for (const char* role : kRoles) {
    INFO(role);
    const auto* shared = SharedPathsOf(role);
    REQUIRE(shared != nullptr);
    CHECK(SchemaHas("spec." + std::string(role)));
    for (const auto& path : *shared) {
      INFO(path);
      CHECK(SchemaHas(path));
    }
  }
  CHECK(SharedPathsOf("no-such-role") == nullptr);
}

TEST_CASE("role view: a role sees its own section and its shared paths, nothing else", "[config][role_view]") {
  const json spec = {
      {"data", {{"intents", {{"path", "/d.jsonl"}}}}},
      {"teachers", json::array({{{"name", "t"}, {"cost_per_call", 0.01}}})},
      {"worker", {{"skill", {{"backend", "openai"}, {"openai", {{"model", "m"}}}, {"train", {{"dataset", "intents"}}}}},
                  {"during_improvement", "clone"}}},
      {"planning", {{"teacher_budget", {{"max_calls", 500}}}, {"auto_approve", 1000}}},
      {"evaluation", {{"confidence", 0.95}, {"judge", {{"openai", {{"model", "j"}}}}}}},
      {"training", {{"backend", "prompt"}}},
      {"deployment", {{"steps", {0.1, 0.5}}}},
      {"runtime", {{"log_level", "info"}}}};

  SECTION("training: worker skill, data, teachers and the judge; not the rest of evaluation") {
    const json v = SpecViewFor("training", spec);
    CHECK(v["training"] == spec["training"]);
    CHECK(v["worker"] == json{{"skill", spec["worker"]["skill"]}});
    CHECK(v["data"] == spec["data"]);
    CHECK(v["teachers"] == spec["teachers"]);
    CHECK(v["evaluation"] == json{{"judge", spec["evaluation"]["judge"]}});
    CHECK_FALSE(v.contains("deployment"));
    CHECK_FALSE(v.contains("planning"));
    CHECK_FALSE(v.contains("runtime"));
  }
  SECTION("monitoring: the planner's budget, not the planner's other settings") {
    const json v = SpecViewFor("monitoring", spec);
    CHECK(v["planning"] == json{{"teacher_budget", {{"max_calls", 500}}}});
    CHECK(v["teachers"] == spec["teachers"]);
    CHECK_FALSE(v.contains("worker"));
  }
  SECTION("deployment: its own section only") {
    CHECK(SpecViewFor("deployment", spec) == json{{"deployment", spec["deployment"]}});
  }
  SECTION("a shared path the spec lacks is left out") {
    const json v = SpecViewFor("simulator", spec);
    CHECK(v == json{{"data", spec["data"]}});
  }
}

}  // namespace kaizen::config
