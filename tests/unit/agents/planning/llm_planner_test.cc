#include "agents/planning/llm_planner.h"

#include <catch2/catch.hpp>
#include <httplib.h>

#include <string>

#include "tests/support/openai_test_server/server.h"

namespace kaizen::agents {
namespace {

using json = nlohmann::json;

json PlannerSettings(int port = 0) {
  json s = {
      {"backend", "openai"},
      {"max_replans", 1},
      {"strategies", {"teacher_samples"}},
      {"teacher_budget", {{"max_calls", 1000}, {"max_cost", 5.0}}},
      {"auto_approve", {{"max_teacher_calls", 600}, {"max_cost", 10.0}}},
  };
  if (port > 0) {
    s["openai"] = {{"base_url", "http://127.0.0.1:" + std::to_string(port) + "/v1"},
                   {"model", "kaizen-test"},
                   {"max_retries", 1},
                   {"backoff_initial_ms", 1},
                   {"price_per_1k_prompt_tokens", 0.5}};
  }
  s["cluster"] = {{"spec", {{"teachers", {{{"name", "oracle"}, {"cost_per_call", 0.002}}}}}}};
  return s;
}

v1::PlanRequest TriggeredRequest() {
  v1::PlanRequest r;
  r.set_attempt(1);
  auto* t = r.mutable_trigger();
  t->set_policy("performance");
  t->set_reason("thumbs-down rate rose");
  auto* d = t->mutable_diagnosis();
  d->set_baseline_rate(0.1);
  d->set_recent_rate(0.4);
  for (auto [value, base, recent] : {std::tuple{"travel", 0.1, 0.6}, {"banking", 0.1, 0.3}, {"home", 0.1, 0.1}}) {
    auto* c = d->add_categories();
    c->set_dimension("domain");
    c->set_value(value);
    c->set_baseline(base);
    c->set_recent(recent);
  }
  return r;
}

v1::Plan RulePlan() {
  auto p = RulePlanner(PlannerSettings()).MakePlan(TriggeredRequest());
  REQUIRE(p.ok());
  return *p;
}

const std::vector<std::string> kCategories = {"domain=travel", "domain=banking"};

bool HasAction(const v1::Plan& p, const std::string& part) {
  for (const auto& a : p.bound_actions()) {
    if (a.find(part) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("the LLM's choice within the bounds is taken and re-priced", "[planning][llm]") {
  const v1::Plan rule = RulePlan();
  REQUIRE(rule.teacher_calls() == 1000);
  REQUIRE(rule.needs_approval());  // 1000 calls > auto_approve 600
  json advice = {{"teacher_calls", 400},
                 {"selection_policy", "low_confidence_stratified"},
                 {"focus", {"domain=banking"}},
                 {"rationale", "banking moved least; cover travel later"}};
  v1::Plan p = ApplyAdvice(RulePlanner(PlannerSettings()), rule, advice, kCategories);
  CHECK(p.teacher_calls() == 400);
  CHECK(p.max_cost() == Approx(0.8));
  CHECK_FALSE(p.needs_approval());  // 400 calls are within auto_approve
  CHECK(p.selection_policy() == "low_confidence_stratified");
  REQUIRE(p.focus_size() == 1);
  CHECK(p.focus(0) == "domain=banking");
  CHECK(p.rationale().rfind("LLM planner: banking moved least", 0) == 0);
  CHECK(p.bound_actions_size() == rule.bound_actions_size());
}

TEST_CASE("the LLM cannot go past the bounds: calls are cut, unknown policies and categories refused",
          "[planning][llm]") {
  const v1::Plan rule = RulePlan();
  json advice = {{"teacher_calls", 50000},
                 {"selection_policy", "everything"},
                 {"focus", {"domain=travel", "domain=mars"}},
                 {"rationale", 7}};
  v1::Plan p = ApplyAdvice(RulePlanner(PlannerSettings()), rule, advice, kCategories);
  CHECK(p.teacher_calls() == 1000);
  CHECK(p.max_cost() == Approx(2.0));
  CHECK(p.selection_policy() == rule.selection_policy());
  REQUIRE(p.focus_size() == 1);
  CHECK(p.focus(0) == "domain=travel");
  CHECK(HasAction(p, "asked for 50000 teacher calls; cut to 1000"));
  CHECK(HasAction(p, "\"everything\" is not one of"));
  CHECK(HasAction(p, "domain=mars dropped"));
  CHECK(p.rationale().rfind("LLM planner: (no rationale given)", 0) == 0);

  v1::Plan q = ApplyAdvice(RulePlanner(PlannerSettings()), rule, json{{"teacher_calls", "lots"}}, kCategories);
  CHECK(q.teacher_calls() == 1000);
  CHECK(HasAction(q, "is no number"));
  v1::Plan z = ApplyAdvice(RulePlanner(PlannerSettings()), rule, json{{"teacher_calls", 0}}, kCategories);
  CHECK(z.teacher_calls() == 1000);
  CHECK(HasAction(z, "at least 1"));
}

TEST_CASE("the planner asks the LLM over HTTP and accounts for the call", "[planning][llm]") {
  testing::OpenAiTestServer server({});
  REQUIRE(server.Start().ok());
  auto planner = LlmPlanner::Create(PlannerSettings(server.port()));
  REQUIRE(planner.ok());
  auto plan = (*planner)->MakePlan(TriggeredRequest(), "c1");
  REQUIRE(plan.ok());
  // The test server's plan rule: all calls, the first policy, the first categories.
  CHECK(plan->teacher_calls() == 1000);
  CHECK(plan->selection_policy() == "failures_first");
  REQUIRE(plan->focus_size() == 2);
  CHECK(plan->focus(0) == "domain=travel");
  CHECK(plan->rationale().rfind("LLM planner: the test server's plan: all 1000 calls", 0) == 0);
  CHECK(plan->llm_usage().calls() == 1);
  CHECK(plan->llm_usage().prompt_tokens() > 50);
  CHECK(plan->llm_usage().cost() > 0);
}

TEST_CASE("an LLM that fails or answers no JSON leaves the rule plan, saying why", "[planning][llm]") {
  testing::OpenAiTestServer server({});
  REQUIRE(server.Start().ok());
  auto planner = LlmPlanner::Create(PlannerSettings(server.port()));
  REQUIRE(planner.ok());
  const v1::Plan rule = RulePlan();
  {
    httplib::Client c("127.0.0.1", server.port());
    REQUIRE(c.Post("/control/fail", json{{"kind", "503"}, {"count", 2}}.dump(), "application/json"));
  }
  auto down = (*planner)->MakePlan(TriggeredRequest(), "c1");
  REQUIRE(down.ok());
  CHECK(down->teacher_calls() == rule.teacher_calls());
  CHECK(down->rationale() == rule.rationale());
  CHECK(HasAction(*down, "LLM planner unavailable"));
  CHECK(down->llm_usage().failures() == 1);
  {
    httplib::Client c("127.0.0.1", server.port());
    REQUIRE(c.Post("/control/fail", json{{"kind", "400"}, {"count", 1}}.dump(), "application/json"));
  }
  auto refused = (*planner)->MakePlan(TriggeredRequest(), "c1");
  REQUIRE(refused.ok());
  CHECK(HasAction(*refused, "LLM planner unavailable"));
}

TEST_CASE("the LLM's prompt_change above max_prompt_change is refused and cut to the bound, one within is kept",
          "[planning][llm][bounds]") {
  json s = PlannerSettings();
  s["cluster"]["spec"]["training"] = {{"backend", "prompt"}};
  s["bounds"]["max_prompt_change"] = 0.3;
  RulePlanner rules(s);
  auto rule = rules.MakePlan(TriggeredRequest());
  REQUIRE(rule.ok());
  REQUIRE(rule->max_prompt_change() == Approx(0.3));
  CHECK(PlanPrompt(TriggeredRequest(), *rule, kCategories).find("\nMax prompt change: 0.3 ") != std::string::npos);

  v1::Plan over = ApplyAdvice(rules, *rule, json{{"prompt_change", 0.8}}, kCategories);
  CHECK(over.max_prompt_change() == Approx(0.3));
  CHECK(HasAction(over, "the planner LLM proposed changing 80% of the prompt; cut to 30% by "
                        "spec.planning.bounds.max_prompt_change"));
  v1::Plan within = ApplyAdvice(rules, *rule, json{{"prompt_change", 0.1}}, kCategories);
  CHECK(within.max_prompt_change() == Approx(0.1));
  CHECK(within.bound_actions_size() == rule->bound_actions_size());
  CHECK(within.significance_why().rfind("change 0.10", 0) == 0);  // scored again
  v1::Plan junk = ApplyAdvice(rules, *rule, json{{"prompt_change", "half"}}, kCategories);
  CHECK(junk.max_prompt_change() == Approx(0.3));
  CHECK(HasAction(junk, "is no share in (0, 1]"));

  // Unbounded, the bound line is left out of the prompt.
  CHECK(PlanPrompt(TriggeredRequest(), RulePlan(), kCategories).find("Max prompt change") == std::string::npos);
}

TEST_CASE("the LLM's teacher calls below parameter_ranges.teacher_calls.min are raised to it",
          "[planning][llm][bounds]") {
  json s = PlannerSettings();
  s["bounds"]["parameter_ranges"]["teacher_calls"] = {{"min", 100}};
  RulePlanner rules(s);
  auto rule = rules.MakePlan(TriggeredRequest());
  REQUIRE(rule.ok());
  v1::Plan p = ApplyAdvice(rules, *rule, json{{"teacher_calls", 20}}, kCategories);
  CHECK(p.teacher_calls() == 100);
  CHECK(p.parameters().at("teacher_calls") == 100);
  CHECK(HasAction(p, "asked for 20 teacher calls; raised to 100 by "
                     "spec.planning.bounds.parameter_ranges.teacher_calls"));
}

TEST_CASE("over HTTP: the test server's full-rewrite proposal is cut to max_prompt_change", "[planning][llm][bounds]") {
  testing::OpenAiTestServer server({});
  REQUIRE(server.Start().ok());
  json s = PlannerSettings(server.port());
  s["cluster"]["spec"]["training"] = {{"backend", "prompt"}};
  s["bounds"]["max_prompt_change"] = 0.25;
  auto planner = LlmPlanner::Create(s);
  REQUIRE(planner.ok());
  auto plan = (*planner)->MakePlan(TriggeredRequest(), "c1");
  REQUIRE(plan.ok());
  CHECK(plan->max_prompt_change() == Approx(0.25));
  CHECK(HasAction(*plan, "the planner LLM proposed changing 100% of the prompt; cut to 25% by "
                         "spec.planning.bounds.max_prompt_change"));
  CHECK(plan->needs_approval());  // 1000 calls > auto_approve 600
}

TEST_CASE("an LLM planner without its endpoint is refused with the key to fix", "[planning][llm]") {
  auto planner = LlmPlanner::Create(PlannerSettings());
  REQUIRE_FALSE(planner.ok());
  CHECK(planner.status().message().find("spec.planning.openai") != std::string::npos);
}

}  // namespace kaizen::agents
