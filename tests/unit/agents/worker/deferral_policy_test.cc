#include "agents/worker/deferral_policy.h"

#include <catch2/catch.hpp>
#include <random>

namespace kaizen::agents {
namespace {

DeferralOptions Options(double max_share, int window, double max_cost_per_hour = 0, double cost_per_call = 0.001) {
  DeferralOptions o;
  o.max_share = max_share;
  o.window = window;
  o.max_cost_per_hour = max_cost_per_hour;
  o.cost_per_call = cost_per_call;
  return o;
}

// Feeds n confidences from `draw`, one every `step_ms`, settling each deferral
// at once at `cost`; returns how many were deferred.
template <typename Draw>
int64_t Feed(DeferralPolicy& p, int n, Draw draw, int64_t* now_ms, int64_t step_ms = 10, double cost = 0.001) {
  int64_t deferred = 0;
  for (int i = 0; i < n; ++i) {
    *now_ms += step_ms;
    if (auto charged = p.Decide(draw(), true, *now_ms)) {
      ++deferred;
      p.Settle(*charged, cost, true);
    }
  }
  return deferred;
}

}  // namespace

TEST_CASE("deferral: the share of deferred tasks stays at most max_share on a stream", "[worker]") {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  DeferralPolicy p(Options(0.1, 500), 0);
  int64_t now = 0;
  for (int i = 0; i < 20000; ++i) {
    now += 10;
    if (auto c = p.Decide(uniform(rng), true, now)) p.Settle(*c, 0.001, true);
    REQUIRE(p.window_share() <= 0.1 + 1e-9);
    REQUIRE(static_cast<double>(p.calls()) <= 0.1 * static_cast<double>(p.seen()) + 1e-9);
  }
  // The budget is used: about max_share of the tasks go to the teacher.
  CHECK(p.share() > 0.085);
  CHECK(p.share() <= 0.1);
  CHECK(p.deferred() == p.calls());
  CHECK(p.threshold() == Approx(0.1).margin(0.03));

  // A stream where every task is less confident than all before: each is
  // below the threshold, and the share alone holds deferrals back.
  DeferralPolicy falling(Options(0.25, 200), 0);
  double c = 1.0;
  for (int i = 0; i < 5000; ++i) {
    c *= 0.999;
    if (auto charged = falling.Decide(c, true, i)) falling.Settle(*charged, 0.001, true);
    REQUIRE(falling.window_share() <= 0.25 + 1e-9);
    REQUIRE(static_cast<double>(falling.calls()) <= 0.25 * static_cast<double>(falling.seen()) + 1e-9);
  }
  CHECK(falling.share() == Approx(0.25).margin(0.02));
}

TEST_CASE("deferral: nothing is deferred during the warmup or when the teacher cannot take it", "[worker]") {
  DeferralPolicy p(Options(0.5, 1000), 0);
  for (int i = 0; i < DeferralPolicy::kWarmup - 1; ++i) CHECK_FALSE(p.Decide(0.01 * (i % 10), true, i));
  CHECK(p.calls() == 0);
  for (int i = 0; i < 100; ++i) CHECK_FALSE(p.Decide(0.01, false, 100 + i));  // teacher busy or not ready
  CHECK(p.seen() == DeferralPolicy::kWarmup - 1 + 100);
  CHECK(p.calls() == 0);
  CHECK(p.Decide(0.0, true, 300).has_value());  // now it may: the least confident answer yet
  // A window smaller than the warmup needs only itself.
  DeferralPolicy small(Options(0.5, 10), 0);
  bool any = false;
  for (int i = 0; i < 11; ++i) any = small.Decide(i % 2 ? 0.9 : 0.1, true, i).has_value() || any;
  CHECK(any);
}

TEST_CASE("deferral: a teacher that fails still counts against the share, and its answer is not counted as served",
          "[worker]") {
  DeferralPolicy p(Options(0.2, 100), 0);
  int64_t now = 0;
  Feed(p, 100, [] { return 0.9; }, &now);  // a confident stretch: nothing to defer
  CHECK(p.calls() == 0);
  int failed = 0;
  for (int i = 0; i < 100; ++i) {
    if (auto c = p.Decide(0.05, true, ++now)) {
      p.Settle(*c, 0.0, false);
      ++failed;
    }
  }
  CHECK(failed > 0);
  CHECK(p.failed() == failed);
  CHECK(p.deferred() == 0);
  CHECK(p.in_flight() == 0);
  CHECK(p.window_share() <= 0.2 + 1e-9);
  CHECK(p.Describe().find(", " + std::to_string(failed) + " fell back to the worker") != std::string::npos);
}

TEST_CASE("deferral: the cost cap binds over an hour, and in-flight calls hold their charge", "[worker]") {
  // $3.60 an hour at $0.01 a call: one call per 10 s (a minute's bucket: 6
  // calls at the start). Tasks come every 100 ms, half of them uncertain.
  DeferralPolicy p(Options(0.5, 1000, 3.6, 0.01), 0);
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  int64_t now = 0;
  Feed(p, 36000, [&] { return uniform(rng); }, &now, 100, 0.01);
  CHECK(now == 3600000);
  CHECK(p.spend() <= 3.6 + 0.06 + 1e-9);
  CHECK(p.spend() >= 3.5);  // and the budget is used
  CHECK(p.share() < 0.02);  // far below max_share: the cost cap binds

  // Calls in flight: the bucket is charged when deferring, so a burst stops at its capacity.
  DeferralPolicy burst(Options(1.0, 100, 3.6, 0.01), 0);
  int64_t calls = 0;
  for (int i = 0; i < 200; ++i) calls += burst.Decide(0.0, true, 0).has_value() ? 1 : 0;
  CHECK(calls == 6);
  CHECK(burst.in_flight() == 6);
}

TEST_CASE("deferral: an LLM teacher's cost per call is learned from the calls settled", "[worker]") {
  // cost_per_call 0 (token priced): the first calls are charged nothing, then the mean.
  DeferralPolicy p(Options(0.5, 200, 0.36, 0.0), 0);  // $0.0001 a second
  std::mt19937 rng(5);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  int64_t now = 0;
  Feed(p, 7200, [&] { return uniform(rng); }, &now, 500, 0.002);  // an hour at 2 tasks/s, $0.002 a call
  CHECK(p.expected_cost() == Approx(0.002));
  // 0.36 an hour, plus the bucket (one minute = $0.006), plus the calls charged 0 before the first settled.
  CHECK(p.spend() <= 0.36 + 0.006 + 0.002 + 1e-9);
  CHECK(p.spend() >= 0.3);
}

TEST_CASE("deferral: the threshold follows a shifted confidence distribution", "[worker]") {
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> low(0.0, 1.0), high(0.5, 1.0);
  DeferralPolicy p(Options(0.2, 1000), 0);
  int64_t now = 0;
  Feed(p, 3000, [&] { return low(rng); }, &now);
  CHECK(p.threshold() == Approx(0.2).margin(0.04));
  // The confidences move up (a better model, or easier traffic): after one
  // window the threshold is the new distribution's 20% quantile.
  Feed(p, 1000, [&] { return high(rng); }, &now);
  CHECK(p.threshold() == Approx(0.6).margin(0.04));
  const int64_t before = p.calls();
  const int64_t deferred = Feed(p, 2000, [&] { return high(rng); }, &now);
  CHECK(deferred == p.calls() - before);
  CHECK(static_cast<double>(deferred) / 2000 == Approx(0.2).margin(0.03));
}

TEST_CASE("deferral: the state detail gives count, share, threshold and spend", "[worker]") {
  DeferralPolicy p(Options(0.5, 10), 0);
  for (int i = 0; i < 9; ++i) CHECK_FALSE(p.Decide(0.9, true, i));
  auto c = p.Decide(0.1, true, 10);
  REQUIRE(c.has_value());
  CHECK(*c == 0.001);
  p.Settle(*c, 0.001, true);
  CHECK(p.Describe() == "deferred 1 (10.0%, threshold 0.90, $0.0010)");
  // max_share 0 defers nothing; max_share 1 may defer everything, up to the share.
  DeferralPolicy none(Options(0.0, 10), 0), all(Options(1.0, 10), 0);
  for (int i = 0; i < 50; ++i) {
    CHECK_FALSE(none.Decide(0.0, true, i));
    CHECK(all.Decide(1.0, true, i).has_value() == (i >= 9));  // from the tenth on: the warmup is the window
  }
  CHECK(all.threshold() > 1.0);
}

}  // namespace kaizen::agents
