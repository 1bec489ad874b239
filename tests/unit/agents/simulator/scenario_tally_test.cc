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

TEST_CASE("the tally measures accuracy during the cycle and counts deferred answers and their cost",
          "[simulator]") {
  ScenarioTally t;
  t.Sent("a", 1, Phase::kAfterDrift, "x");
  t.Sent("b", 2, Phase::kAfterDrift, "x", /*during_cycle=*/true);
  t.Sent("c", 3, Phase::kAfterDrift, "x", true);
  t.Sent("d", 4, Phase::kAfterDrift, "x", true);
  t.Sent("e", 5, Phase::kAfterPromotion, "x", true);  // a second cycle, after the first one's promotion
  t.Sent("f", 6, Phase::kAfterPromotion, "x");
  const kaizen::agents::Deferral teacher = kaizen::agents::Deferral::From("oracle", "0.25");
  bool dup = false;
  CHECK_FALSE(t.Answered("a", "y", &dup, kaizen::agents::Deferral::From("oracle", "0.5")));
  CHECK(t.Answered("b", "x", &dup, teacher));
  CHECK(t.Answered("c", "x", &dup));
  CHECK_FALSE(t.Answered("d", "y", &dup));
  CHECK(t.Answered("e", "x", &dup));
  CHECK_FALSE(t.Answered("b", "x", &dup, teacher));  // a duplicate: its deferral is not counted again
  CHECK(dup);
  CHECK(t.AccuracyDuringCycle() == Approx(0.75));
  CHECK(t.Accuracy(Phase::kAfterDrift) == Approx(0.5));  // the cycle's tasks count in their phase too
  CHECK(t.deferred() == 2);
  CHECK(t.deferred_cost() == Approx(0.75));

  auto j = t.ToJson();
  INFO(j.dump(2));
  CHECK(j["accuracy"]["during_cycle"] == Approx(0.75));
  CHECK(j["accuracy"]["after_drift"] == Approx(0.5));
  CHECK(j["accuracy"]["after_promotion"] == Approx(1.0));
  CHECK(j["answered_by_phase"] == nlohmann::json{{"before_drift", 0}, {"after_drift", 4}, {"after_promotion", 1}});
  const auto& tasks = j["tasks"];
  CHECK(tasks["tasks_during_cycle"] == 4);
  CHECK(tasks["accuracy_during_cycle"] == Approx(0.75));
  CHECK(tasks["deferred_tasks"] == 2);
  CHECK(tasks["deferred_tasks_during_cycle"] == 1);
  CHECK(tasks["deferred_share"] == Approx(2.0 / 5.0));
  CHECK(tasks["deferred_share_during_cycle"] == Approx(0.25));
  CHECK(tasks["deferred_cost"] == Approx(0.75));
  CHECK(tasks["lost"] == 1);
}

TEST_CASE("with no answers the shares and the accuracy during the cycle are null and nothing was deferred",
          "[simulator]") {
  auto j = ScenarioTally().ToJson();
  CHECK(j["accuracy"]["during_cycle"].is_null());
  CHECK(j["tasks"]["accuracy_during_cycle"].is_null());
  CHECK(j["tasks"]["deferred_share"].is_null());
  CHECK(j["tasks"]["deferred_share_during_cycle"].is_null());
  CHECK(j["tasks"]["deferred_tasks"] == 0);
  CHECK(j["tasks"]["tasks_during_cycle"] == 0);
  CHECK(j["tasks"]["deferred_cost"] == 0.0);
}

TEST_CASE("after the last promotion counts only tasks sent after the latest one", "[simulator]") {
  ScenarioTally t;
  bool dup = false;
  t.Sent("a", 1, Phase::kAfterDrift, "x");
  CHECK(t.Answered("a", "x", &dup));
  CHECK(t.ToJson()["accuracy"]["after_last_promotion"].is_null());  // no promotion yet
  t.Promoted();
  t.Sent("b", 2, Phase::kAfterPromotion, "x");
  t.Sent("c", 3, Phase::kAfterPromotion, "x");
  CHECK_FALSE(t.Answered("b", "y", &dup));
  t.Promoted();  // a follow-up round: "c" was sent before it, answered after
  CHECK(t.Answered("c", "x", &dup));
  t.Sent("d", 4, Phase::kAfterPromotion, "x");
  t.Sent("e", 5, Phase::kAfterPromotion, "x");
  CHECK(t.Answered("d", "x", &dup));
  CHECK_FALSE(t.Answered("e", "z", &dup));
  const auto acc = t.ToJson()["accuracy"];
  CHECK(acc["after_promotion"].get<double>() == Approx(0.5));  // b, c, d, e
  CHECK(acc["after_last_promotion"].get<double>() == Approx(0.5));  // d, e
  t.Sent("f", 6, Phase::kAfterPromotion, "x");
  CHECK(t.Answered("f", "x", &dup));
  CHECK(t.ToJson()["accuracy"]["after_last_promotion"].get<double>() == Approx(2.0 / 3));
  CHECK(t.ToJson()["accuracy"]["after_promotion"].get<double>() == Approx(0.6));
}
