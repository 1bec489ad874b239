#include "agents/planning/rule_planner.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace kaizen::agents {
namespace {

using json = nlohmann::json;

json Settings(double cost_per_call = 0.001) {
  json s = {
      {"max_replans", 1},
      {"strategies", {"teacher_samples"}},
      {"teacher_budget", {{"max_calls", 2000}, {"max_cost", 5.0}}},
      {"auto_approve", {{"max_teacher_calls", 2000}, {"max_cost", 10.0}}},
      {"acceptance", {{"min_accuracy_gain", 0.03}, {"max_category_regression", 0.04}}},
  };
  s["cluster"] = {{"name", "c"},
                  {"state_dir", "/tmp/x"},
                  {"spec", {{"teachers", {{{"name", "oracle"}, {"cost_per_call", cost_per_call}}}}}}};
  return s;
}

v1::PlanRequest Request(int attempt = 1) {
  v1::PlanRequest r;
  r.set_attempt(attempt);
  auto* t = r.mutable_trigger();
  t->set_policy("performance");
  t->set_reason("thumbs-down rate rose");
  auto* d = t->mutable_diagnosis();
  d->set_baseline_rate(0.08);
  d->set_recent_rate(0.31);
  auto add = [&](const char* dim, const char* value, double base, double recent) {
    auto* c = d->add_categories();
    c->set_dimension(dim);
    c->set_value(value);
    c->set_baseline(base);
    c->set_recent(recent);
  };
  add("domain", "banking", 0.05, 0.06);
  add("domain", "travel", 0.06, 0.70);
  add("domain", "kitchen", 0.10, 0.05);  // fell: never a focus
  add("predicted_label", "book_flight", 0.05, 0.40);
  return r;
}

TEST_CASE("first plan: teacher samples within budget, failures first, focus on the largest rise") {
  auto plan = RulePlanner(Settings()).MakePlan(Request());
  REQUIRE(plan.ok());
  CHECK(plan->strategy() == "teacher_samples");
  CHECK(plan->teacher() == "oracle");
  CHECK(plan->teacher_calls() == 2000);
  CHECK(plan->max_cost() == Approx(2.0));
  CHECK(plan->selection_policy() == "failures_first");
  CHECK_FALSE(plan->needs_approval());
  CHECK(plan->bound_actions_size() == 0);
  REQUIRE(plan->focus_size() == 3);
  CHECK(plan->focus(0) == "domain=travel");
  CHECK(plan->focus(1) == "predicted_label=book_flight");
  CHECK(plan->focus(2) == "domain=banking");
  CHECK(plan->acceptance().min_accuracy_gain() == Approx(0.03));
  CHECK(plan->acceptance().max_category_regression() == Approx(0.04));
  CHECK(plan->rationale().find("domain=travel") != std::string::npos);
  CHECK(plan->rationale().find("oracle") != std::string::npos);
}

TEST_CASE("the cost bound cuts calls and records the cut") {
  auto plan = RulePlanner(Settings(0.005)).MakePlan(Request());  // 2000 calls would cost $10 > $5
  REQUIRE(plan.ok());
  CHECK(plan->teacher_calls() == 1000);
  CHECK(plan->max_cost() == Approx(5.0));
  REQUIRE(plan->bound_actions_size() == 1);
  CHECK(plan->bound_actions(0).find("teacher calls cut 2000 -> 1000 by teacher_budget.max_cost") == 0);
}

TEST_CASE("plans above the auto-approval bounds need approval") {
  json s = Settings();
  s["auto_approve"]["max_teacher_calls"] = 500;
  auto plan = RulePlanner(s).MakePlan(Request());
  REQUIRE(plan.ok());
  CHECK(plan->needs_approval());

  s = Settings();
  s["auto_approve"]["max_cost"] = 1.0;  // 2000 * 0.001 = $2
  plan = RulePlanner(s).MakePlan(Request());
  REQUIRE(plan.ok());
  CHECK(plan->needs_approval());
}

TEST_CASE("no teacher is an error a person can act on") {
  json s = Settings();
  s["cluster"]["spec"]["teachers"] = json::array();
  auto plan = RulePlanner(s).MakePlan(Request());
  REQUIRE_FALSE(plan.ok());
  CHECK(plan.status().message().find("no teacher configured") == 0);
}

TEST_CASE("a budget that affords no call is an error") {
  json s = Settings(10.0);  // $5 buys nothing at $10 a call
  auto plan = RulePlanner(s).MakePlan(Request());
  REQUIRE_FALSE(plan.ok());
  CHECK(plan.status().message().find("allows no call") != std::string::npos);
}

TEST_CASE("a replan changes the policy, names the verdict and asks for more data within bounds") {
  RulePlanner planner(Settings());
  auto first = planner.MakePlan(Request());
  REQUIRE(first.ok());
  v1::PlanRequest r = Request(2);
  *r.mutable_last_plan() = *first;
  r.mutable_last_report()->set_verdict("accuracy gain 0.01 below 0.03");
  auto plan = planner.MakePlan(r);
  REQUIRE(plan.ok());
  CHECK(plan->selection_policy() == "low_confidence_stratified");
  CHECK(plan->rationale().find("accuracy gain 0.01 below 0.03") != std::string::npos);
  CHECK(plan->teacher_calls() == 2000);
  REQUIRE(plan->bound_actions_size() == 1);
  CHECK(plan->bound_actions(0) == "teacher calls cut 4000 -> 2000 by teacher_budget.max_calls");
}

TEST_CASE("the teacher budget is per cycle: a replan gets only what earlier attempts left") {
  RulePlanner planner(Settings());
  auto first = planner.MakePlan(Request());
  REQUIRE(first.ok());
  v1::PlanRequest r = Request(2);
  *r.mutable_last_plan() = *first;
  r.set_teacher_calls_spent(1500);
  r.set_teacher_cost_spent(1.5);
  auto plan = planner.MakePlan(r);
  REQUIRE(plan.ok());
  CHECK(plan->teacher_calls() == 500);
  r.set_teacher_calls_spent(2000);
  r.set_teacher_cost_spent(2.0);
  auto spent = planner.MakePlan(r);
  REQUIRE_FALSE(spent.ok());
  CHECK(spent.status().message().find("budget is spent") != std::string::npos);
}

TEST_CASE("replans beyond max_replans are refused") {
  v1::PlanRequest r = Request(3);  // replan 2 with max_replans 1
  r.mutable_last_plan()->set_selection_policy("low_confidence_stratified");
  auto plan = RulePlanner(Settings()).MakePlan(r);
  REQUIRE_FALSE(plan.ok());
  CHECK(plan.status().message().find("replans exhausted") == 0);
}

TEST_CASE("teacher_samples must be an allowed strategy") {
  json s = Settings();
  s["strategies"] = {"few_shot"};
  auto plan = RulePlanner(s).MakePlan(Request());
  REQUIRE_FALSE(plan.ok());
  CHECK(plan.status().message().find("teacher_samples") != std::string::npos);
}

}  // namespace
}  // namespace kaizen::agents

namespace kaizen::agents {
namespace {

bool Has(const v1::Plan& p, const std::string& part) {
  for (const auto& a : p.bound_actions()) {
    if (a.find(part) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("bounds: teacher calls are cut into parameter_ranges.teacher_calls and the cut is recorded",
          "[planning][bounds]") {
  json s = Settings();
  s["bounds"]["parameter_ranges"]["teacher_calls"] = {{"min", 10}, {"max", 1500}};
  auto plan = RulePlanner(s).MakePlan(Request());
  REQUIRE(plan.ok());
  CHECK(plan->teacher_calls() == 1500);
  CHECK(plan->max_cost() == Approx(1.5));
  REQUIRE(plan->bound_actions_size() == 1);
  CHECK(plan->bound_actions(0) ==
        "teacher calls cut 2000 -> 1500 by spec.planning.bounds.parameter_ranges.teacher_calls");
  CHECK(plan->parameters().at("teacher_calls") == 1500);
}

TEST_CASE("bounds: a teacher_calls min the budget cannot reach is refused, saying so", "[planning][bounds]") {
  json s = Settings(0.005);  // $5 buys 1000 calls
  s["bounds"]["parameter_ranges"]["teacher_calls"] = {{"min", 1200}};
  auto plan = RulePlanner(s).MakePlan(Request());
  REQUIRE_FALSE(plan.ok());
  CHECK(plan.status().code() == Status::Code::kFailedPrecondition);
  CHECK(plan.status().message().find("spec.planning.bounds.parameter_ranges.teacher_calls.min is 1200 but the "
                                     "cycle's teacher budget allows 1000 calls") == 0);
  s["bounds"]["parameter_ranges"]["teacher_calls"] = {{"min", 900}};
  auto within = RulePlanner(s).MakePlan(Request());
  REQUIRE(within.ok());
  CHECK(within->teacher_calls() == 1000);
}

TEST_CASE("bounds: a plan reports its teacher calls and the training's knobs in parameters", "[planning][bounds]") {
  json s = Settings();
  s["cluster"]["spec"]["training"] = {{"backend", "builtin"}, {"epochs", 7}, {"replay_fraction", 0.8}};
  auto plan = RulePlanner(s).MakePlan(Request());
  REQUIRE(plan.ok());
  CHECK(plan->parameters().at("teacher_calls") == 2000);
  CHECK(plan->parameters().at("epochs") == 7);
  CHECK(plan->parameters().at("replay_fraction") == Approx(0.8));
  CHECK(plan->parameters().count("shots") == 0);
  CHECK_FALSE(plan->has_max_prompt_change());  // weights, not a prompt
  // change 0.2, spend 1.0 (2000 of 2000 auto-approved calls): within the default 1
  CHECK(plan->significance() == Approx(1.0));
  CHECK(plan->significance_why().find("spend 1.00 (2000 of 2000 auto-approved calls)") != std::string::npos);
  CHECK_FALSE(plan->needs_approval());

  s["cluster"]["spec"]["training"] = {{"backend", "prompt"}, {"prompt", {{"shots", 4}}}};
  s["bounds"]["max_prompt_change"] = 0.3;
  auto prompt = RulePlanner(s).MakePlan(Request());
  REQUIRE(prompt.ok());
  CHECK(prompt->parameters().at("shots") == 4);
  CHECK(prompt->parameters().at("rewrites") == 2);  // the schema's default
  CHECK(prompt->parameters().count("epochs") == 0);
  REQUIRE(prompt->has_max_prompt_change());
  CHECK(prompt->max_prompt_change() == Approx(0.3));
}

TEST_CASE("bounds: auto_approve.max_significance 0.3 makes a plan within the call and cost limits need approval",
          "[planning][bounds]") {
  json s = Settings();
  s["teacher_budget"]["max_calls"] = 400;
  auto plan = RulePlanner(s).MakePlan(Request());
  REQUIRE(plan.ok());
  CHECK_FALSE(plan->needs_approval());  // spend 0.2, change 0.5 (replay_fraction 0.5): within 1
  CHECK(plan->significance() == Approx(0.5));
  s["auto_approve"]["max_significance"] = 0.3;
  plan = RulePlanner(s).MakePlan(Request());
  REQUIRE(plan.ok());
  CHECK(plan->needs_approval());
  CHECK(plan->significance_why().rfind("change 0.50", 0) == 0);
}

TEST_CASE("bounds: a human plan's labels are moved into the teacher_calls range too", "[planning][bounds]") {
  json s = Settings();
  s["strategies"] = {"human_demonstrations"};
  s["human_labels"] = 50;
  s["bounds"]["parameter_ranges"]["teacher_calls"] = {{"max", 30}};
  auto plan = RulePlanner(s).MakePlan(Request());
  REQUIRE(plan.ok());
  CHECK(plan->teacher_calls() == 30);
  CHECK(Has(*plan, "teacher calls cut 50 -> 30 by spec.planning.bounds.parameter_ranges.teacher_calls"));
  CHECK(plan->parameters().at("teacher_calls") == 30);
  CHECK_FALSE(plan->needs_approval());
}

}  // namespace kaizen::agents

namespace kaizen::agents {
namespace {

// An LLM worker (training backend prompt) whose planner may write tools.
json ToolSettings() {
  json s = Settings();
  s["strategies"] = {"tool_creation", "teacher_samples"};
  s["bounds"]["allowed_strategies"] = {"teacher_samples", "tool_creation"};
  s["cluster"]["spec"]["training"] = {{"backend", "prompt"}};
  return s;
}

// Request() with one more category: arithmetic, failed at `recent` over `samples` ratings.
v1::PlanRequest ToolRequest(double recent, int64_t samples = 40) {
  v1::PlanRequest r = Request();
  auto* c = r.mutable_trigger()->mutable_diagnosis()->add_categories();
  c->set_dimension("domain");
  c->set_value("arithmetic");
  c->set_baseline(0.2);
  c->set_recent(recent);
  c->set_samples(samples);
  return r;
}

bool ToolHas(const v1::Plan& p, const std::string& part) {
  for (const auto& a : p.bound_actions()) {
    if (a.find(part) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("tool creation: a category the LLM worker keeps failing gets a tool", "[planning][tools]") {
  auto plan = RulePlanner(ToolSettings()).MakePlan(ToolRequest(0.9));
  INFO(plan.status().ToString());
  REQUIRE(plan.ok());
  CHECK(plan->strategy() == "tool_creation");
  CHECK(plan->teacher() == "oracle");
  REQUIRE(plan->focus_size() == 1);
  CHECK(plan->focus(0) == "domain=arithmetic");
  INFO(plan->rationale());
  CHECK(plan->rationale().find("the teacher then writes a tool for domain=arithmetic, tested in the sandbox") !=
        std::string::npos);
  CHECK_FALSE(ToolHas(*plan, "passed over"));
  CHECK(plan->teacher_calls() == 2000);
  CHECK_FALSE(plan->has_max_prompt_change());  // a tool beside the prompt, not a prompt change
  CHECK(RulePlanner::PersistentFailure(ToolRequest(0.9).trigger().diagnosis()) == "domain=arithmetic");
}

TEST_CASE("tool creation: the worst persistent failure is the focus", "[planning][tools]") {
  v1::PlanRequest r = ToolRequest(0.6);
  auto* c = r.mutable_trigger()->mutable_diagnosis()->add_categories();
  c->set_dimension("predicted_label");
  c->set_value("convert");
  c->set_recent(0.8);
  c->set_samples(25);
  auto* few = r.mutable_trigger()->mutable_diagnosis()->add_categories();
  few->set_value("units");  // no dimension: a domain
  few->set_recent(1.0);
  few->set_samples(4);  // too few ratings to say
  CHECK(RulePlanner::PersistentFailure(r.trigger().diagnosis()) == "predicted_label=convert");
  few->set_samples(10);  // 10 downs of 10: at least 72% with 95% confidence
  CHECK(RulePlanner::PersistentFailure(r.trigger().diagnosis()) == "domain=units");
  auto plan = RulePlanner(ToolSettings()).MakePlan(r);
  REQUIRE(plan.ok());
  CHECK(plan->strategy() == "tool_creation");
  REQUIRE(plan->focus_size() == 1);
  CHECK(plan->focus(0) == "domain=units");
}

TEST_CASE("tool creation: passed over below the failure rate or with too few ratings", "[planning][tools]") {
  // 12 downs of 20 is 60%, but not 50% with 95% confidence (the Wilson interval starts at 39%).
  for (const auto& r : {ToolRequest(0.3), ToolRequest(0.6, 20), ToolRequest(1.0, 4)}) {
    auto plan = RulePlanner(ToolSettings()).MakePlan(r);
    INFO(plan.status().ToString());
    REQUIRE(plan.ok());
    CHECK(plan->strategy() == "teacher_samples");
    CHECK(ToolHas(*plan, "tool_creation passed over: no category is failed on at least 50% of its answers (95% "
                         "confidence, 5+ ratings)"));
    CHECK(plan->rationale().find("writes a tool") == std::string::npos);
    // The largest rises, as for any teacher_samples plan (not the one category a tool would get).
    const std::vector<std::string> rises = RulePlanner::FocusOf(r.trigger().diagnosis(), RulePlanner::kMaxFocus);
    CHECK(std::vector<std::string>(plan->focus().begin(), plan->focus().end()) == rises);
    CHECK(rises.size() == 3);
  }
}

TEST_CASE("tool creation: passed over for a worker that is not an LLM", "[planning][tools]") {
  json s = ToolSettings();
  s["cluster"]["spec"]["training"] = {{"backend", "builtin"}};
  auto plan = RulePlanner(s).MakePlan(ToolRequest(0.9));
  REQUIRE(plan.ok());
  CHECK(plan->strategy() == "teacher_samples");
  CHECK(ToolHas(*plan, "tool_creation passed over: the worker is not an LLM"));
}

TEST_CASE("tool creation: only when the bounds allow it", "[planning][tools][bounds]") {
  SECTION("not in allowed_strategies: skipped for the next strategy") {
    json s = ToolSettings();
    s["bounds"]["allowed_strategies"] = {"teacher_samples"};
    auto plan = RulePlanner(s).MakePlan(ToolRequest(0.9));
    REQUIRE(plan.ok());
    CHECK(plan->strategy() == "teacher_samples");
  }
  SECTION("the default allowed_strategies leave it out") {
    json s = ToolSettings();
    s["bounds"].erase("allowed_strategies");
    auto plan = RulePlanner(s).MakePlan(ToolRequest(0.9));
    REQUIRE(plan.ok());
    CHECK(plan->strategy() == "teacher_samples");
  }
  SECTION("the only strategy, not allowed: refused naming the bound") {
    json s = ToolSettings();
    s["strategies"] = {"tool_creation"};
    s["bounds"]["allowed_strategies"] = {"teacher_samples"};
    auto plan = RulePlanner(s).MakePlan(ToolRequest(0.9));
    REQUIRE_FALSE(plan.ok());
    CHECK(plan.status().code() == Status::Code::kFailedPrecondition);
    CHECK(plan.status().message().find("no strategy within the bounds: strategy tool_creation is not in "
                                       "spec.planning.bounds.allowed_strategies") == 0);
  }
  SECTION("tools a prohibited modification: refused") {
    json s = ToolSettings();
    s["strategies"] = {"tool_creation"};
    s["bounds"]["prohibited_modifications"] = {"tools"};
    auto plan = RulePlanner(s).MakePlan(ToolRequest(0.9));
    REQUIRE_FALSE(plan.ok());
    CHECK(plan.status().message().find("changes the tools") != std::string::npos);
  }
  SECTION("the only strategy, allowed but no persistent failure: no plan, saying why") {
    json s = ToolSettings();
    s["strategies"] = {"tool_creation"};
    auto plan = RulePlanner(s).MakePlan(ToolRequest(0.3));
    REQUIRE_FALSE(plan.ok());
    CHECK(plan.status().message().find("no strategy available") == 0);
    CHECK(plan.status().message().find("tool_creation passed over: no category is failed") != std::string::npos);
  }
}

TEST_CASE("dynamic_examples and reflection: planned for an LLM worker, buying the teacher's answers first",
          "[planning][memory]") {
  for (const char* strategy : {"dynamic_examples", "reflection"}) {
    INFO(strategy);
    json s = Settings();
    s["strategies"] = {strategy, "teacher_samples"};
    s["cluster"]["spec"]["training"] = {{"backend", "prompt"}};
    auto plan = RulePlanner(s).MakePlan(Request());
    REQUIRE(plan.ok());
    CHECK(plan->strategy() == strategy);
    CHECK(plan->teacher() == "oracle");
    CHECK(plan->teacher_calls() > 0);
    CHECK_FALSE(ToolHas(*plan, "passed over"));
  }
}

TEST_CASE("dynamic_examples and reflection: passed over for a classifier, refused when their part is prohibited",
          "[planning][memory][bounds]") {
  json s = Settings();
  s["strategies"] = {"reflection", "dynamic_examples", "teacher_samples"};
  s["cluster"]["spec"]["training"] = {{"backend", "builtin"}};
  auto plan = RulePlanner(s).MakePlan(Request());
  REQUIRE(plan.ok());
  CHECK(plan->strategy() == "teacher_samples");
  CHECK(ToolHas(*plan, "reflection passed over: the worker is not an LLM (training.backend is not prompt); "
                       "dynamic_examples passed over: the worker is not an LLM"));

  s["cluster"]["spec"]["training"] = {{"backend", "prompt"}};
  s["strategies"] = {"reflection"};
  s["bounds"]["prohibited_modifications"] = {"memory"};
  auto refused = RulePlanner(s).MakePlan(Request());
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().message().find("strategy reflection (training backend prompt) changes the memory") !=
        std::string::npos);
}

}  // namespace kaizen::agents
