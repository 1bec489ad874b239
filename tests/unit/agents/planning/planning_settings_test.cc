#include "agents/planning/planning_settings.h"

#include <catch2/catch.hpp>

#include "agents/planning/rule_planner.h"
#include "config/manifest_schema.h"

namespace kaizen::agents {
namespace {

using json = nlohmann::json;
using config::SchemaDefault;

TEST_CASE("planning settings: keys left out are the manifest schema's defaults", "[planning][settings]") {
  const PlanningSettings p = PlanningSettings::FromAgentSettings(json::object());
  CHECK(PlanningSettings::Name(p.backend) == SchemaDefault("spec.planning.backend").get<std::string>());
  CHECK(p.max_replans == SchemaDefault("spec.planning.max_replans").get<int>());
  CHECK(p.strategies == SchemaDefault("spec.planning.strategies").get<std::vector<std::string>>());
  CHECK(p.selection_policy == SchemaDefault("spec.planning.selection_policy").get<std::string>());
  CHECK(p.human_labels == SchemaDefault("spec.planning.human_labels").get<int64_t>());
  CHECK(p.auto_approve_max_teacher_calls ==
        SchemaDefault("spec.planning.auto_approve.max_teacher_calls").get<int64_t>());
  CHECK(p.auto_approve_max_cost == SchemaDefault("spec.planning.auto_approve.max_cost").get<double>());
  CHECK(p.budget_max_calls == SchemaDefault("spec.planning.teacher_budget.max_calls").get<int64_t>());
  CHECK(p.budget_max_cost == SchemaDefault("spec.planning.teacher_budget.max_cost").get<double>());
  CHECK(p.min_accuracy_gain == SchemaDefault("spec.planning.acceptance.min_accuracy_gain").get<double>());
  CHECK(p.max_category_regression == SchemaDefault("spec.planning.acceptance.max_category_regression").get<double>());
}

TEST_CASE("planning settings: keys set win, and a nested object set in part keeps the other defaults",
          "[planning][settings]") {
  const PlanningSettings p = PlanningSettings::FromAgentSettings({{"max_replans", 3},
                                                                  {"strategies", {"human_demonstrations"}},
                                                                  {"teacher_budget", {{"max_cost", 1.5}}},
                                                                  {"acceptance", {{"min_accuracy_gain", 0.1}}}});
  CHECK(p.max_replans == 3);
  CHECK(p.strategies == std::vector<std::string>{"human_demonstrations"});
  CHECK(p.budget_max_cost == 1.5);
  CHECK(p.budget_max_calls == SchemaDefault("spec.planning.teacher_budget.max_calls").get<int64_t>());
  CHECK(p.min_accuracy_gain == 0.1);
  CHECK(p.max_category_regression == SchemaDefault("spec.planning.acceptance.max_category_regression").get<double>());
}

TEST_CASE("rule planner: a plan from settings with no planning keys uses the schema's defaults",
          "[planning][settings]") {
  // Only the teachers (from the cluster spec, not defaults of spec.planning).
  const json settings = {
      {"cluster", {{"name", "c"}, {"spec", {{"teachers", {{{"name", "oracle"}, {"cost_per_call", 0.0}}}}}}}}};
  v1::PlanRequest request;
  request.set_attempt(1);
  auto plan = RulePlanner(settings).MakePlan(request);
  REQUIRE(plan.ok());
  CHECK(plan->strategy() == "teacher_samples");
  CHECK(plan->teacher_calls() == SchemaDefault("spec.planning.teacher_budget.max_calls").get<int64_t>());
  CHECK(plan->selection_policy() == SchemaDefault("spec.planning.selection_policy").get<std::string>());
  CHECK(plan->acceptance().min_accuracy_gain() ==
        SchemaDefault("spec.planning.acceptance.min_accuracy_gain").get<double>());
  CHECK(plan->acceptance().max_category_regression() ==
        SchemaDefault("spec.planning.acceptance.max_category_regression").get<double>());
  // max_calls == auto_approve.max_teacher_calls in the schema: no approval needed.
  CHECK(plan->needs_approval() == (SchemaDefault("spec.planning.teacher_budget.max_calls").get<int64_t>() >
                                   SchemaDefault("spec.planning.auto_approve.max_teacher_calls").get<int64_t>()));
}

}  // namespace
}  // namespace kaizen::agents
