#include "runtime/cycle/cycle_record.h"

#include <catch2/catch.hpp>

using namespace kaizen;
using cycle::CycleRecord;

TEST_CASE("the cycle state machine allows the designed transitions only", "[cycle]") {
  using S = v1::CycleStage;
  CHECK(cycle::TransitionAllowed(S::CYCLE_STAGE_TRIGGERED, S::CYCLE_STAGE_PLANNING));
  CHECK(cycle::TransitionAllowed(S::CYCLE_STAGE_PLANNING, S::CYCLE_STAGE_AWAITING_APPROVAL));
  CHECK(cycle::TransitionAllowed(S::CYCLE_STAGE_EVALUATING, S::CYCLE_STAGE_PLANNING));  // replan
  CHECK(cycle::TransitionAllowed(S::CYCLE_STAGE_ROLLING_OUT, S::CYCLE_STAGE_ROLLED_BACK));
  // deployment.require_approval: the promotion waits for a person.
  CHECK(cycle::TransitionAllowed(S::CYCLE_STAGE_ROLLING_OUT, S::CYCLE_STAGE_AWAITING_APPROVAL));
  CHECK(cycle::TransitionAllowed(S::CYCLE_STAGE_AWAITING_APPROVAL, S::CYCLE_STAGE_PROMOTED));
  CHECK(cycle::TransitionAllowed(S::CYCLE_STAGE_AWAITING_APPROVAL, S::CYCLE_STAGE_ROLLED_BACK));
  CHECK_FALSE(cycle::TransitionAllowed(S::CYCLE_STAGE_AWAITING_APPROVAL, S::CYCLE_STAGE_TRAINING));
  CHECK(cycle::TransitionAllowed(S::CYCLE_STAGE_TRAINING, S::CYCLE_STAGE_ABORTED));
  CHECK_FALSE(cycle::TransitionAllowed(S::CYCLE_STAGE_PLANNING, S::CYCLE_STAGE_TRAINING));
  CHECK_FALSE(cycle::TransitionAllowed(S::CYCLE_STAGE_TRAINING, S::CYCLE_STAGE_PROMOTED));
  CHECK_FALSE(cycle::TransitionAllowed(S::CYCLE_STAGE_PROMOTED, S::CYCLE_STAGE_ABORTED));
}

TEST_CASE("stage names round-trip", "[cycle]") {
  CHECK(cycle::StageName(v1::CYCLE_STAGE_GENERATING_DATA) == "generating_data");
  CHECK(cycle::StageFromName("rolled_back") == v1::CYCLE_STAGE_ROLLED_BACK);
  CHECK(cycle::StageFromName("nonsense") == v1::CYCLE_STAGE_UNSPECIFIED);
}

TEST_CASE("a cycle record survives JSON and keeps its stage spans", "[cycle]") {
  CycleRecord c;
  c.id = "c1";
  c.created_ms = 100;
  c.Enter(v1::CYCLE_STAGE_TRIGGERED, 100);
  c.Enter(v1::CYCLE_STAGE_PLANNING, 150);
  c.incumbent = {"v1", "file:///a", "abc"};
  c.teacher_calls = 2000;
  c.teacher_cost = 2.0;
  c.Enter(v1::CYCLE_STAGE_ABORTED, 400);
  auto back = CycleRecord::FromJson(c.ToJson());
  REQUIRE(back.ok());
  CHECK(back->finished());
  CHECK(back->incumbent.version == "v1");
  CHECK(back->teacher_calls == 2000);
  REQUIRE(back->stages.size() == 3);
  CHECK(back->stages[0].ended_ms == 150);
  CHECK(back->stages[1].ended_ms == 400);
  CHECK(back->stages[2].name == "aborted");
}

TEST_CASE("a damaged cycle record is refused with a reason", "[cycle]") {
  CHECK_FALSE(CycleRecord::FromJson(nlohmann::json::array()).ok());
  auto bad = CycleRecord::FromJson({{"id", "c9"}, {"stage", "nowhere"}});
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().find("c9") != std::string::npos);
}

TEST_CASE("LLM usage adds up per stage and in total, and survives JSON", "[cycle]") {
  cycle::CycleRecord c;
  c.id = "c1";
  c.Enter(v1::CYCLE_STAGE_GENERATING_DATA, 1);
  CHECK(cycle::LlmUsageLine(c.llm_usage).empty());
  v1::LlmUsage u;
  u.set_calls(400);
  u.set_failures(2);
  u.set_prompt_tokens(50000);
  u.set_completion_tokens(2000);
  u.set_cost(0.30);
  c.AddLlmUsage("generating_data", u);
  c.AddLlmUsage("generating_data", u);  // a replan's second dataset
  v1::LlmUsage judge;
  judge.set_calls(12);
  judge.set_prompt_tokens(1200);
  judge.set_completion_tokens(24);
  judge.set_cost(0.03);
  c.AddLlmUsage("evaluating", judge);
  c.AddLlmUsage("training", v1::LlmUsage{});  // no call: no entry
  CHECK(c.llm_usage["generating_data"]["calls"] == 800);
  CHECK(c.llm_usage["total"]["calls"] == 812);
  CHECK(c.llm_usage["total"]["prompt_tokens"] == 101200);
  CHECK(c.llm_usage["total"]["cost"].get<double>() == Approx(0.63));
  CHECK_FALSE(c.llm_usage.contains("training"));
  CHECK(cycle::LlmUsageLine(c.llm_usage) ==
        "812 LLM calls (4 failed), 101200 prompt + 4024 completion tokens, $0.63 "
        "(generating_data $0.60, evaluating $0.03)");
  auto back = cycle::CycleRecord::FromJson(c.ToJson());
  REQUIRE(back.ok());
  CHECK(back->llm_usage == c.llm_usage);
}
