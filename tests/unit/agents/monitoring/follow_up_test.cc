#include "agents/monitoring/follow_up.h"

#include <random>
#include <regex>

#include <catch2/catch.hpp>

#include "agents/monitoring/trigger_engine.h"
#include "config/manifest_schema.h"

using kaizen::agents::FollowUp;
using kaizen::agents::RatedAnswer;
using kaizen::agents::TriggerEngine;
using json = nlohmann::json;
namespace v1 = kaizen::v1;

namespace {

FollowUp::Options Enabled() {
  FollowUp::Options o;
  o.enabled = true;
  o.min_gap = 0.03;
  o.max_rounds = 1;
  o.samples = 300;
  o.teacher_calls = 1000;
  o.cost_per_call = 0.001;
  return o;
}

// Feeds `n` ratings at down-rate `rate` (exactly: every k-th is down), seq from `seq`.
std::optional<FollowUp::Due> Feed(FollowUp& f, int n, double rate, uint64_t seq = 1000) {
  std::optional<FollowUp::Due> due;
  double acc = 0;
  for (int i = 0; i < n && !due; ++i) {
    acc += rate;
    bool down = acc >= 1;
    if (down) acc -= 1;
    due = f.Observe(down, "v2", seq + i, static_cast<int64_t>(seq + i));
  }
  return due;
}

void PromotedFirstCycle(FollowUp& f, double rate_before = 0.10) {
  f.OnTrigger(rate_before, 200, "v1");
  f.OnCycleStarted();
  f.OnCycleEnded(true);
}

}  // namespace

TEST_CASE("follow-up: a promoted version clearly below the old level is due one more round, dated at its first answer") {
  FollowUp f(Enabled());
  PromotedFirstCycle(f);
  REQUIRE(f.measuring());
  CHECK(f.Describe().find("measuring") != std::string::npos);
  auto due = Feed(f, 1000, 0.25, 5000);
  REQUIRE(due);
  CHECK(due->gap == Approx(0.15).margin(0.01));
  CHECK(due->change_seq == 5000);
  CHECK(due->change_task_index == 5000);
  CHECK(due->reason.find("follow-up 1 of 1") != std::string::npos);
  CHECK(f.TakeDecision().find("follow-up due: ") == 0);
  CHECK(f.TakeDecision().empty());  // said once
  CHECK(due->reason.find("0.100 before the change (v1, 200 answers)") != std::string::npos);
  // Stays due until a cycle begins.
  CHECK(f.Observe(false, "v2", 9000, 9000));
  f.OnFollowUpSent();
  f.OnCycleStarted();
  CHECK_FALSE(f.due());
  // Its round promoted: max_rounds 1 is reached, the chain ends.
  f.OnCycleEnded(true);
  CHECK_FALSE(f.measuring());
  CHECK_FALSE(Feed(f, 1000, 0.5));
  CHECK(f.Describe().find("max_rounds 1") != std::string::npos);
}

TEST_CASE("follow-up: no round when the gap is small, within noise, or not worth its cost") {
  SECTION("small gap") {
    FollowUp f(Enabled());
    PromotedFirstCycle(f);
    CHECK_FALSE(Feed(f, 1000, 0.12));
    CHECK_FALSE(f.measuring());
    CHECK(f.Describe().find("below min_gap") != std::string::npos);
  }
  SECTION("noise: a gap over min_gap measured on too few answers") {
    auto o = Enabled();
    o.samples = 50;
    FollowUp f(o);
    PromotedFirstCycle(f);
    CHECK_FALSE(Feed(f, 50, 0.16));
    CHECK(f.Describe().find("within noise") != std::string::npos);
  }
  SECTION("cost") {
    auto o = Enabled();
    o.cost_per_call = 1.0;  // a round costs 1000, the gain is worth 15
    FollowUp f(o);
    PromotedFirstCycle(f);
    CHECK_FALSE(Feed(f, 1000, 0.25));
    CHECK(f.Describe().find("not more than a round's cost") != std::string::npos);
  }
}

TEST_CASE("follow-up: disabled, rolled back, or started by a trigger that measured no level: no round") {
  SECTION("disabled") {
    FollowUp f(FollowUp::Options{});
    PromotedFirstCycle(f);
    CHECK_FALSE(f.measuring());
    CHECK_FALSE(Feed(f, 1000, 0.5));
  }
  SECTION("rolled back") {
    FollowUp f(Enabled());
    f.OnTrigger(0.1, 200, "v1");
    f.OnCycleStarted();
    f.OnCycleEnded(false);
    CHECK_FALSE(Feed(f, 1000, 0.5));
    CHECK(f.Describe().find("not promoted") != std::string::npos);
  }
  SECTION("a cycle no performance trigger started") {
    FollowUp f(Enabled());
    f.OnCycleStarted();
    f.OnCycleEnded(true);
    CHECK_FALSE(Feed(f, 1000, 0.5));
  }
}

TEST_CASE("follow-up: a chain keeps the level before the first change and stops after max_rounds") {
  auto o = Enabled();
  o.max_rounds = 2;
  FollowUp f(o);
  PromotedFirstCycle(f, 0.10);
  REQUIRE(Feed(f, 1000, 0.30));
  f.OnFollowUpSent();
  f.OnCycleStarted();
  f.OnCycleEnded(true);
  // Round 2 is measured against 0.10 still, not against the first promoted version.
  auto due = Feed(f, 1000, 0.20);
  REQUIRE(due);
  CHECK(due->reason.find("follow-up 2 of 2") != std::string::npos);
  CHECK(due->gap == Approx(0.10).margin(0.01));
  f.OnFollowUpSent();
  f.OnCycleStarted();
  f.OnCycleEnded(true);
  CHECK_FALSE(Feed(f, 1000, 0.20));
}

TEST_CASE("trigger engine: after a promoted cycle still below the old level, a follow_up trigger is sent without "
          "waiting for the cooldown") {
  TriggerEngine::Options o;
  o.cooldown_ms = 60000;
  o.teacher_calls = 500;
  o.cost_per_call = 0.001;
  o.triggers = json::array({{{"policy", "performance"}, {"detector", "cusum"}, {"false_alarm_rate", 1e-6},
                             {"min_shift", 0.1}, {"warmup_tasks", 200}}});
  o.follow_up = {{"enabled", true}, {"min_gap", 0.03}, {"max_rounds", 1}, {"samples", 300}};
  TriggerEngine e(o, 0);
  std::mt19937_64 rng(7);
  int64_t t = 0;
  uint64_t seq = 0;
  auto rate = [&](double p, const std::string& v) {
    RatedAnswer a;
    a.down = std::bernoulli_distribution(p)(rng);
    a.model_version = v;
    a.seq = ++seq;
    return e.Observe(a, t += 10);
  };
  for (int i = 0; i < 1000; ++i) REQUIRE_FALSE(rate(0.08, "v1"));
  std::optional<v1::Trigger> first;
  for (int i = 0; i < 2000 && !first; ++i) first = rate(0.5, "v1");
  REQUIRE(first);
  CHECK(first->policy() == "performance");
  e.OnCycleStage(v1::CYCLE_STAGE_TRIGGERED, t);
  e.OnCycleStage(v1::CYCLE_STAGE_PROMOTED, t += 1000);
  // v2 is better than the drifted v1 but clearly below 0.08: due after its
  // 300 ratings, well within the 60 s cooldown.
  const uint64_t v2_first = seq + 1;
  std::optional<v1::Trigger> follow;
  int rated = 0;
  for (; rated < 20000 && !follow; ++rated) follow = rate(0.25, "v2");
  REQUIRE(follow);
  CHECK(follow->policy() == "follow_up");
  CHECK(follow->change_seq() == v2_first);
  CHECK(rated == 300);
  // The level before the change is v1's ratings before the dated onset (about
  // 1000 of them), not the detector's 200-rating warm-up.
  std::smatch m;
  const std::string reason = follow->reason();
  REQUIRE(std::regex_search(reason, m, std::regex(R"(([0-9.]+) before the change \(v1, ([0-9]+) answers\))")));
  CHECK(std::stoi(m[2].str()) >= 900);
  CHECK(std::stod(m[1].str()) == Approx(0.08).margin(0.03));
  CHECK(e.Describe(t).find("follow-up due") != std::string::npos);
  // The follow-up's round promotes; one round was allowed, so no more.
  e.OnCycleStage(v1::CYCLE_STAGE_TRIGGERED, t);
  e.OnCycleStage(v1::CYCLE_STAGE_PROMOTED, t += 1000);
  t += 120000;
  for (int i = 0; i < 3000; ++i) {
    auto again = rate(0.2, "v3");
    REQUIRE((!again || again->policy() != "follow_up"));
  }
}

TEST_CASE("follow-up options left out are the manifest schema's defaults", "[follow_up][settings]") {
  using kaizen::config::SchemaDefault;
  const FollowUp::Options o = FollowUp::FromJson(json::object(), 1000, 0.001);
  CHECK(o.enabled == SchemaDefault("spec.monitoring.follow_up.enabled").get<bool>());
  CHECK(o.min_gap == SchemaDefault("spec.monitoring.follow_up.min_gap").get<double>());
  CHECK(o.max_rounds == SchemaDefault("spec.monitoring.follow_up.max_rounds").get<int64_t>());
  CHECK(o.samples == SchemaDefault("spec.monitoring.follow_up.samples").get<int64_t>());
  CHECK(o.horizon_tasks == SchemaDefault("spec.monitoring.follow_up.horizon_tasks").get<int64_t>());
  CHECK(o.value_per_correct == SchemaDefault("spec.monitoring.follow_up.value_per_correct").get<double>());
  const TriggerEngine::Options t = TriggerEngine::OptionsFromSettings(json::object());
  CHECK(t.cooldown_ms == 1000 * SchemaDefault("spec.monitoring.cooldown_s").get<int64_t>());
  CHECK(t.teacher_calls == SchemaDefault("spec.planning.teacher_budget.max_calls").get<int64_t>());
}
