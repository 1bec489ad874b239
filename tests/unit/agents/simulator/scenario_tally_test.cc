#include "agents/simulator/scenario_tally.h"

#include <catch2/catch.hpp>

using kaizen::agents::ScenarioTally;
using Phase = ScenarioTally::Phase;

TEST_CASE("the tally measures accuracy per phase and counts lost and duplicated answers", "[simulator]") {
  ScenarioTally t;
  t.Sent("a", 1, Phase::kBeforeDrift, "x");
  t.Sent("b", 2, Phase::kBeforeDrift, "y");
  t.Sent("c", 3, Phase::kAfterDrift, "z");
  t.Sent("d", 4, Phase::kAfterDrift, "z");
  bool dup = false;
  CHECK(t.Answered("a", "x", &dup));
  CHECK_FALSE(t.Answered("b", "x", &dup));
  CHECK(t.Answered("c", "z", &dup));
  CHECK_FALSE(dup);
  CHECK_FALSE(t.Answered("c", "z", &dup));
  CHECK(dup);
  CHECK(t.Accuracy(Phase::kBeforeDrift) == Approx(0.5));
  CHECK(t.Accuracy(Phase::kAfterDrift) == Approx(1.0));
  auto j = t.ToJson();
  CHECK(j["tasks"]["submitted"] == 4);
  CHECK(j["tasks"]["answered"] == 3);
  CHECK(j["tasks"]["lost"] == 1);
  CHECK(j["tasks"]["duplicated"] == 1);
  CHECK(j["accuracy"]["after_promotion"].is_null());
}

TEST_CASE("a failed task is no longer outstanding and is counted apart from lost ones", "[simulator]") {
  ScenarioTally t;
  t.Sent("a", 1, Phase::kBeforeDrift, "x");
  t.Sent("b", 2, Phase::kBeforeDrift, "x");
  CHECK_FALSE(t.ToJson()["tasks"].contains("failed"));  // only when some did
  t.Failed("a");
  t.Failed("a");        // once
  t.Failed("unknown");  // never sent
  CHECK(t.outstanding() == 1);
  CHECK(t.failed() == 1);
  bool dup = false;
  CHECK(t.Answered("b", "x", &dup));
  CHECK_FALSE(t.Answered("a", "x", &dup));  // too late: not counted
  CHECK_FALSE(dup);
  auto j = t.ToJson();
  CHECK(j["tasks"]["failed"] == 1);
  CHECK(j["tasks"]["lost"] == 0);
  CHECK(j["tasks"]["answered"] == 1);
}
