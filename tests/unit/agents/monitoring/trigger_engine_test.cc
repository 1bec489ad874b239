#include "agents/monitoring/trigger_engine.h"

#include <random>

#include <catch2/catch.hpp>

using kaizen::agents::RatedAnswer;
using kaizen::agents::TriggerEngine;
using json = nlohmann::json;
namespace v1 = kaizen::v1;

namespace {

TriggerEngine::Options Cusum(int64_t cooldown_s = 60) {
  TriggerEngine::Options o;
  o.cooldown_ms = cooldown_s * 1000;
  o.triggers = json::array({{{"policy", "performance"},
                             {"detector", "cusum"},
                             {"false_alarm_rate", 1e-6},
                             {"min_shift", 0.1},
                             {"warmup_tasks", 200}}});
  return o;
}

// A stream with two domains; `bad_rate` is the down-rate of banking.
RatedAnswer Answer(std::mt19937_64& rng, int i, double bad_rate, double good_rate = 0.08,
                   const std::string& version = "v1") {
  RatedAnswer a;
  bool banking = i % 2 == 0;
  std::bernoulli_distribution down(banking ? bad_rate : good_rate);
  a.down = down(rng);
  a.model_version = version;
  a.predicted = banking ? "balance" : "flight";
  a.tags = {{"domain", banking ? "banking" : "travel"}};
  return a;
}

}  // namespace

TEST_CASE("options come from the monitoring settings") {
  json s = {{"cooldown_s", 5},
            {"triggers", json::array({{{"policy", "schedule"}, {"every_s", 10}}})},
            {"cluster",
             {{"spec",
               {{"planning", {{"teacher_budget", {{"max_calls", 1500}}}}},
                {"teachers", json::array({{{"name", "oracle"}, {"cost_per_call", 0.002}}})}}}}}};
  auto o = TriggerEngine::OptionsFromSettings(s);
  CHECK(o.cooldown_ms == 5000);
  CHECK(o.triggers.size() == 1);
  CHECK(o.teacher_calls == 1500);
  CHECK(o.cost_per_call == Approx(0.002));
}

TEST_CASE("no trigger under stationary feedback") {
  TriggerEngine e(Cusum(), 0);
  std::mt19937_64 rng(1);
  int fired = 0;
  for (int i = 0; i < 20000; ++i) fired += e.Observe(Answer(rng, i, 0.08), i * 10).has_value();
  CHECK(fired == 0);
  CHECK(e.rated() == 20000);
  CHECK(e.watched_version() == "v1");
  CHECK(e.Describe(0).find("cusum") != std::string::npos);
}

TEST_CASE("a drop triggers soon, with numbers and a diagnosis that ranks the degraded domain first") {
  TriggerEngine e(Cusum(), 0);
  std::mt19937_64 rng(2);
  int64_t t = 0;
  for (int i = 0; i < 2000; ++i) REQUIRE_FALSE(e.Observe(Answer(rng, i, 0.08), t += 10));
  e.SetTaskIndex(2000);
  std::optional<v1::Trigger> trig;
  int after = 0;
  for (; after < 2000 && !trig; ++after) trig = e.Observe(Answer(rng, after, 0.6), t += 10);
  REQUIRE(trig);
  CHECK(after < 150);
  CHECK(trig->policy() == "performance");
  CHECK(trig->statistic() >= trig->threshold());
  CHECK(trig->threshold() < std::log(1e6));  // calibrated: below Lorden's bound
  CHECK(trig->task_index() == 2000);
  CHECK(trig->reason().find("CUSUM") != std::string::npos);
  REQUIRE(trig->diagnosis().categories_size() > 0);
  const auto& top = trig->diagnosis().categories(0);
  CHECK(top.recent() > top.baseline());
  CHECK((top.value() == "banking" || top.value() == "balance"));
  // Travel did not degrade: it ranks below banking.
  for (int i = 1; i < trig->diagnosis().categories_size(); ++i) {
    if (trig->diagnosis().categories(i).value() == "travel") CHECK(i >= 2);
  }
}

TEST_CASE("never triggers during a cycle: cooldown respected after it ends") {
  TriggerEngine e(Cusum(60), 0);
  std::mt19937_64 rng(3);
  int64_t t = 0;
  for (int i = 0; i < 1000; ++i) e.Observe(Answer(rng, i, 0.08), t += 10);
  e.OnCycleStage(v1::CYCLE_STAGE_TRIGGERED, t);
  CHECK(e.cycle_active());
  for (int i = 0; i < 3000; ++i) REQUIRE_FALSE(e.Observe(Answer(rng, i, 0.6), t += 10));
  // The candidate arm's feedback is ignored while the cycle runs.
  for (int i = 0; i < 100; ++i) e.Observe(Answer(rng, i, 0.6, 0.6, "v2"), t += 10);
  CHECK(e.watched_version() == "v1");
  e.OnCycleStage(v1::CYCLE_STAGE_ROLLED_BACK, t);
  CHECK_FALSE(e.cycle_active());
  const int64_t ended = t;
  // Still degraded: evidence builds up again, but nothing fires within the cooldown.
  std::optional<v1::Trigger> trig;
  for (int i = 0; !trig && t < ended + 120000; ++i) {
    t += 10;
    trig = e.Observe(Answer(rng, i, 0.6), t);
  }
  REQUIRE(trig);
  CHECK(t >= ended + 60000);
  CHECK(t < ended + 62000);
}

TEST_CASE("a sent trigger is not repeated until the runtime acts or a timeout passes") {
  TriggerEngine e(Cusum(0), 0);
  std::mt19937_64 rng(4);
  int64_t t = 0;
  for (int i = 0; i < 1000; ++i) e.Observe(Answer(rng, i, 0.08), t += 10);
  int fired = 0;
  int64_t first_at = -1;
  for (int i = 0; i < 2000; ++i) {  // 20 s
    if (e.Observe(Answer(rng, i, 0.7), t += 10)) {
      ++fired;
      if (first_at < 0) first_at = t;
    }
  }
  CHECK(fired == 1);
  // The runtime never acted on it (no cycle began): once pending_timeout_ms
  // (30 s) has passed since it was sent, the still-firing detector sends it again.
  int64_t again_at = -1;
  for (int i = 0; i < 2000 && again_at < 0; ++i) {
    if (e.Observe(Answer(rng, i, 0.7), t += 10)) again_at = t;
  }
  REQUIRE(again_at > 0);
  CHECK(again_at - first_at >= 30000);
  CHECK(again_at - first_at <= 30010);
  // Once a cycle begins, nothing is sent until it ends.
  e.OnCycleStage(v1::CYCLE_STAGE_TRIGGERED, t);
  for (int i = 0; i < 4000; ++i) REQUIRE_FALSE(e.Observe(Answer(rng, i, 0.7), t += 10));
}

TEST_CASE("after a promotion the detector learns the new version's baseline") {
  TriggerEngine e(Cusum(0), 0);
  std::mt19937_64 rng(5);
  int64_t t = 0;
  for (int i = 0; i < 1000; ++i) e.Observe(Answer(rng, i, 0.02, 0.02), t += 10);
  e.OnCycleStage(v1::CYCLE_STAGE_TRIGGERED, t);
  e.OnCycleStage(v1::CYCLE_STAGE_PROMOTED, t);
  // v2 serves at a higher but stable down-rate; stragglers of v1 are ignored.
  int fired = 0;
  for (int i = 0; i < 5000; ++i) {
    fired += e.Observe(Answer(rng, i, 0.15, 0.15, "v2"), t += 10).has_value();
    if (i % 10 == 0) fired += e.Observe(Answer(rng, i, 0.9, 0.9, "v1"), t += 10).has_value();
  }
  CHECK(fired == 0);
  CHECK(e.watched_version() == "v2");
}

TEST_CASE("window detector policy triggers when accuracy over the window falls") {
  TriggerEngine::Options o;
  o.cooldown_ms = 0;
  o.triggers = json::array({{{"policy", "performance"}, {"detector", "window"}, {"window", 100},
                             {"threshold", 0.7}, {"warmup_tasks", 100}}});
  TriggerEngine e(o, 0);
  std::mt19937_64 rng(6);
  int64_t t = 0;
  for (int i = 0; i < 1000; ++i) REQUIRE_FALSE(e.Observe(Answer(rng, i, 0.1, 0.1), t += 10));
  std::optional<v1::Trigger> trig;
  for (int i = 0; i < 300 && !trig; ++i) trig = e.Observe(Answer(rng, i, 0.8, 0.5), t += 10);
  REQUIRE(trig);
  CHECK(trig->statistic() < 0.7);
  CHECK(trig->reason().find("accuracy") != std::string::npos);
}

TEST_CASE("schedule policy fires every_s after start and after each cycle") {
  TriggerEngine::Options o;
  o.cooldown_ms = 0;
  o.triggers = json::array({{{"policy", "schedule"}, {"every_s", 10}}});
  TriggerEngine e(o, 0);
  CHECK_FALSE(e.Tick(9000));
  auto t = e.Tick(10000);
  REQUIRE(t);
  CHECK(t->policy() == "schedule");
  e.OnCycleStage(v1::CYCLE_STAGE_TRIGGERED, 10500);
  CHECK_FALSE(e.Tick(30000));  // cycle running
  e.OnCycleStage(v1::CYCLE_STAGE_ABORTED, 31000);
  CHECK_FALSE(e.Tick(40000));
  CHECK(e.Tick(41000));
}

TEST_CASE("roi policy weighs the expected gain against the cycle's cost") {
  auto make = [](double cost_per_call) {
    TriggerEngine::Options o;
    o.cooldown_ms = 0;
    o.teacher_calls = 1000;
    o.cost_per_call = cost_per_call;
    o.triggers = json::array({{{"policy", "roi"}, {"horizon_tasks", 10000}, {"value_per_correct", 0.01},
                               {"min_gain", 0.05}}});
    return o;
  };
  for (double cost : {0.001, 1.0}) {  // cycle costs 1 vs 1000; a 0.3 gain is worth about 30
    TriggerEngine e(make(cost), 0);
    std::mt19937_64 rng(7);
    int64_t t = 0;
    int fired = 0;
    for (int i = 0; i < 2000; ++i) fired += e.Observe(Answer(rng, i, 0.05, 0.05), t += 10).has_value();
    CHECK(fired == 0);
    std::optional<v1::Trigger> trig;
    for (int i = 0; i < 1000 && !trig; ++i) trig = e.Observe(Answer(rng, i, 0.6, 0.6), t += 10);
    if (cost < 0.01) {
      REQUIRE(trig);
      CHECK(trig->policy() == "roi");
      CHECK(trig->reason().find("expected gain") != std::string::npos);
    } else {
      CHECK_FALSE(trig);
    }
  }
}

TEST_CASE("a cusum trigger dates the change near where the down-rate rose") {
  TriggerEngine e(Cusum(), 0);
  std::mt19937_64 rng(3);
  std::optional<v1::Trigger> t;
  const int change_at = 3000;
  for (int i = 0; i < 20000 && !t; ++i) {
    RatedAnswer a = Answer(rng, i, i < change_at ? 0.08 : 0.5);
    a.seq = 1000 + static_cast<uint64_t>(i) * 2;  // seqs of the answers, not the ratings' order
    e.SetTaskIndex(i + 1);
    t = e.Observe(a, i * 10);
  }
  REQUIRE(t);
  CHECK(t->task_index() > change_at);
  // The estimate falls shortly before or after the true change, far from the start.
  const int64_t change_seq = 1000 + change_at * 2;
  CHECK(static_cast<int64_t>(t->change_seq()) > change_seq - 200);
  CHECK(static_cast<int64_t>(t->change_seq()) < change_seq + 200);
  CHECK(t->change_task_index() > change_at - 100);
  CHECK(t->change_task_index() < change_at + 100);
}

TEST_CASE("a window trigger dates the change at the window's oldest answer and a schedule dates none") {
  TriggerEngine::Options o;
  o.triggers = json::array({{{"policy", "performance"}, {"detector", "window"}, {"window", 100}, {"threshold", 0.8},
                             {"warmup_tasks", 0}}});
  TriggerEngine e(o, 0);
  std::optional<v1::Trigger> t;
  for (int i = 0; i < 1000 && !t; ++i) {
    RatedAnswer a;
    a.down = i >= 500;
    a.model_version = "v1";
    a.seq = static_cast<uint64_t>(i) + 1;
    t = e.Observe(a, i);
  }
  REQUIRE(t);
  // Conservative: the window holds the change, so it starts a little before it.
  CHECK(t->change_seq() > 400);
  CHECK(t->change_seq() <= 501);

  TriggerEngine::Options so;
  so.triggers = json::array({{{"policy", "schedule"}, {"every_s", 1}}});
  TriggerEngine s(so, 0);
  auto st = s.Tick(2000);
  REQUIRE(st);
  CHECK(st->change_seq() == 0);
}
