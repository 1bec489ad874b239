// The significance score of a plan: max(change, spend, capability), against
// auto_approve.max_significance.
#include "runtime/safety/significance.h"

#include <catch2/catch.hpp>

#include <cmath>

using namespace kaizen;
using namespace kaizen::safety;

namespace {

v1::Plan Plan(const std::string& strategy, int calls, double cost) {
  v1::Plan p;
  p.set_strategy(strategy);
  p.set_teacher_calls(calls);
  p.set_max_cost(cost);
  return p;
}

ApprovalLimits Limits(int64_t calls = 3000, double cost = 10, double max_significance = 1) {
  ApprovalLimits l;
  l.max_teacher_calls = calls;
  l.max_cost = cost;
  l.max_significance = max_significance;
  return l;
}

}  // namespace

TEST_CASE("significance: limits left out read as the schema's defaults", "[safety][significance]") {
  const ApprovalLimits d = ApprovalLimits::FromPlanning(nlohmann::json::object());
  CHECK(d.max_teacher_calls == 2000);
  CHECK(d.max_cost == 10.0);
  CHECK(d.max_significance == 1.0);
  const ApprovalLimits set = ApprovalLimits::FromPlanning({{"auto_approve", {{"max_significance", 0.3}}}});
  CHECK(set.max_significance == 0.3);
  CHECK(set.max_teacher_calls == 2000);
}

TEST_CASE("significance: change is the prompt share a prompt plan may change, or the new share of a retraining",
          "[safety][significance]") {
  v1::Plan prompt = Plan("teacher_samples", 0, 0);
  CHECK(ScorePlan(prompt, Limits(), "prompt", 0.5).score == 1.0);  // unbounded: all of it may change
  prompt.set_max_prompt_change(0.3);
  Significance s = ScorePlan(prompt, Limits(), "prompt", 0.5);
  CHECK(s.score == Approx(0.3));
  CHECK(s.why.rfind("change 0.30", 0) == 0);
  prompt.set_max_prompt_change(4.0);
  CHECK(ScorePlan(prompt, Limits(), "prompt", 0.5).score == 1.0);  // capped at 1
  CHECK(ScorePlan(Plan("few_shot", 0, 0), Limits(), "prompt", 0.5).score == 1.0);
  const v1::Plan weights = Plan("teacher_samples", 0, 0);
  CHECK(ScorePlan(weights, Limits(), "builtin", 0.8).score == Approx(0.2));
  CHECK(ScorePlan(weights, Limits(), "slurm", 0.0).score == Approx(1.0));
  CHECK(ScorePlan(Plan("human_demonstrations", 0, 0), Limits(), "builtin", 0.5).score == Approx(0.5));
}

TEST_CASE("significance: spend is the larger share of the auto-approved calls and cost", "[safety][significance]") {
  Significance s = ScorePlan(Plan("teacher_samples", 1350, 1.35), Limits(3000, 10), "builtin", 0.9);
  CHECK(s.score == Approx(0.45));
  CHECK(s.why == "change 0.10 (new share of the training mix, replay_fraction 0.9), spend 0.45 (1350 of 3000 "
                 "auto-approved calls), new capabilities none");
  s = ScorePlan(Plan("teacher_samples", 100, 6.0), Limits(3000, 10), "builtin", 0.9);
  CHECK(s.score == Approx(0.6));
  CHECK(s.why.find("spend 0.60 ($6.00 of $10.00 auto-approved cost)") != std::string::npos);
  // A limit of 0 with something to spend: always a person.
  s = ScorePlan(Plan("teacher_samples", 5, 0), Limits(0, 10), "builtin", 0.5);
  CHECK(std::isinf(s.score));
  CHECK(NeedsApproval(s, Limits(0, 10, 1e9)));
  CHECK(ScorePlan(Plan("teacher_samples", 0, 0), Limits(0, 0), "builtin", 1.0).score == 0);
}

TEST_CASE("significance: at the default max_significance a plan needs a person exactly when it spends past "
          "auto_approve",
          "[safety][significance]") {
  const ApprovalLimits l = Limits(2000, 5.0);
  for (const char* backend : {"builtin", "prompt"}) {
    for (double replay : {0.0, 0.5, 1.0}) {
      for (int calls : {0, 1, 1999, 2000, 2001, 1000000}) {
        for (double cost_per_call : {0.0, 0.0025, 0.003}) {
          const double cost = calls * cost_per_call;
          const bool old_rule = calls > l.max_teacher_calls || cost > l.max_cost + 1e-9;
          const Significance s = ScorePlan(Plan("teacher_samples", calls, cost), l, backend, replay);
          INFO(backend << " replay " << replay << " calls " << calls << " cost " << cost << ": " << s.why);
          CHECK(NeedsApproval(s, l) == old_rule);
        }
      }
    }
  }
}

TEST_CASE("significance: a lower max_significance asks a person about smaller changes", "[safety][significance]") {
  const ApprovalLimits l = Limits(2000, 10, 0.3);
  CHECK_FALSE(NeedsApproval(ScorePlan(Plan("teacher_samples", 500, 0.5), l, "builtin", 0.8), l));  // 0.25
  CHECK(NeedsApproval(ScorePlan(Plan("teacher_samples", 500, 0.5), l, "builtin", 0.5), l));         // change 0.5
  v1::Plan prompt = Plan("teacher_samples", 100, 0.1);
  prompt.set_max_prompt_change(0.3);
  CHECK_FALSE(NeedsApproval(ScorePlan(prompt, l, "prompt", 0.5), l));  // exactly at the limit
  prompt.set_max_prompt_change(0.31);
  CHECK(NeedsApproval(ScorePlan(prompt, l, "prompt", 0.5), l));
}
