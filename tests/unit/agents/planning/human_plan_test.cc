#include <catch2/catch.hpp>

#include "agents/planning/rule_planner.h"

namespace kaizen::agents {
namespace {

using json = nlohmann::json;

json HumanSettings(json strategies, int labels, int auto_calls) {
  json s = {{"max_replans", 1},
            {"strategies", strategies},
            {"human_labels", labels},
            {"auto_approve", {{"max_teacher_calls", auto_calls}}}};
  s["cluster"] = {{"spec", {{"teachers", {{{"name", "oracle"}, {"cost_per_call", 0.001}}}}}}};
  return s;
}

v1::PlanRequest HumanRequest(int attempt) {
  v1::PlanRequest r;
  r.set_attempt(attempt);
  r.mutable_trigger()->set_policy("performance");
  r.mutable_trigger()->set_reason("thumbs-down rate rose");
  return r;
}

TEST_CASE("human_demonstrations first in strategies asks people for human_labels labels", "[planning]") {
  RulePlanner p(HumanSettings({"human_demonstrations", "teacher_samples"}, 30, 2000));
  auto plan = p.MakePlan(HumanRequest(1));
  REQUIRE(plan.ok());
  CHECK(plan->strategy() == "human_demonstrations");
  CHECK(plan->teacher() == "human");
  CHECK(plan->teacher_calls() == 30);
  CHECK(plan->max_cost() == 0);
  CHECK(plan->selection_policy() == "failures_first");
  CHECK_FALSE(plan->needs_approval());
  CHECK(plan->rationale().find("ask people for 30 labels") != std::string::npos);
}

TEST_CASE("teacher_samples first keeps the teacher and human only when listed first", "[planning]") {
  RulePlanner p(HumanSettings({"teacher_samples", "human_demonstrations"}, 30, 2000));
  auto plan = p.MakePlan(HumanRequest(1));
  REQUIRE(plan.ok());
  CHECK(plan->strategy() == "teacher_samples");
}

TEST_CASE("a human plan above auto_approve.max_teacher_calls waits for an approval", "[planning]") {
  RulePlanner p(HumanSettings({"human_demonstrations"}, 3, 2));
  auto plan = p.MakePlan(HumanRequest(1));
  REQUIRE(plan.ok());
  CHECK(plan->needs_approval());
}

TEST_CASE("a human replan changes the selection policy and past max_replans there is none", "[planning]") {
  RulePlanner p(HumanSettings({"human_demonstrations"}, 5, 2000));
  v1::PlanRequest r = HumanRequest(2);
  r.mutable_last_plan()->set_selection_policy("failures_first");
  auto plan = p.MakePlan(r);
  REQUIRE(plan.ok());
  CHECK(plan->selection_policy() != "failures_first");
  auto none = p.MakePlan(HumanRequest(3));
  REQUIRE_FALSE(none.ok());
  CHECK(none.status().message().find("replans exhausted") != std::string::npos);
}

TEST_CASE("strategies the rule planner cannot do give a clear error", "[planning]") {
  RulePlanner p(HumanSettings({"prompt_optimization"}, 5, 2000));
  auto plan = p.MakePlan(HumanRequest(1));
  REQUIRE_FALSE(plan.ok());
  CHECK(plan.status().message().find("human_demonstrations") != std::string::npos);
}

}  // namespace
}  // namespace kaizen::agents

namespace kaizen::agents {
namespace {

TEST_CASE("bounds: the planner skips strategies the bounds forbid, and says which bound when none is left",
          "[planning]") {
  json s = HumanSettings({"teacher_samples", "human_demonstrations"}, 30, 2000);
  s["bounds"] = {{"allowed_strategies", {"human_demonstrations"}}};
  auto plan = RulePlanner(s).MakePlan(HumanRequest(1));
  REQUIRE(plan.ok());
  CHECK(plan->strategy() == "human_demonstrations");

  s["bounds"] = {{"prohibited_modifications", {"weights"}}};  // both retrain a classifier
  auto none = RulePlanner(s).MakePlan(HumanRequest(1));
  REQUIRE_FALSE(none.ok());
  CHECK(none.status().message().rfind("no strategy within the bounds: strategy teacher_samples (training backend "
                                      "builtin) changes the weights",
                                      0) == 0);
}

}  // namespace
}  // namespace kaizen::agents
