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
