// RestartTracker with a fake clock: policies, doubling, cap, window, give up.
#include <catch2/catch.hpp>

#include "runtime/supervisor/supervisor.h"

using kaizen::config::RestartPolicy;
using kaizen::config::RestartSpec;
using kaizen::supervisor::RestartTracker;

namespace {

RestartSpec Spec(RestartPolicy policy, int64_t initial = 500, int64_t max = 30000, int max_restarts = 5,
                 int64_t window_s = 60) {
  RestartSpec s;
  s.policy = policy;
  s.backoff_initial_ms = initial;
  s.backoff_max_ms = max;
  s.max_restarts = max_restarts;
  s.window_s = window_s;
  return s;
}

}  // namespace

TEST_CASE("supervisor restart tracker: always restarts after failures and clean exits", "[restart_tracker]") {
  RestartTracker t(Spec(RestartPolicy::kAlways));
  CHECK(t.OnExit(1000, /*failed=*/false) == 500);
  CHECK(t.OnExit(2000, /*failed=*/true) == 1000);
  CHECK(t.restarts() == 2);
  CHECK(t.give_up_reason().empty());
}

TEST_CASE("supervisor restart tracker: never does not restart", "[restart_tracker]") {
  RestartTracker t(Spec(RestartPolicy::kNever));
  CHECK(t.OnExit(1000, true) == -1);
  CHECK(t.give_up_reason() == "restart policy is never");
  CHECK(t.OnExit(2000, false) == -1);
  CHECK(t.restarts() == 0);
}

TEST_CASE("supervisor restart tracker: on-failure restarts failures only", "[restart_tracker]") {
  RestartTracker t(Spec(RestartPolicy::kOnFailure));
  CHECK(t.OnExit(1000, /*failed=*/false) == -1);
  CHECK(t.give_up_reason() == "exited cleanly and restart policy is on-failure");
  CHECK(t.restarts() == 0);
  CHECK(t.OnExit(2000, /*failed=*/true) == 500);
  CHECK(t.give_up_reason().empty());
  CHECK(t.restarts() == 1);
  // A clean exit is not counted in the window: the next failure is the second.
  CHECK(t.OnExit(3000, false) == -1);
  CHECK(t.OnExit(4000, true) == 1000);
}

TEST_CASE("supervisor restart tracker: backoff doubles per exit in the window up to the cap", "[restart_tracker]") {
  RestartTracker t(Spec(RestartPolicy::kAlways, 500, 3000, 100, 3600));
  int64_t now = 0;
  std::vector<int64_t> delays;
  for (int i = 0; i < 7; ++i) delays.push_back(t.OnExit(now += 10, true));
  CHECK(delays == std::vector<int64_t>{500, 1000, 2000, 3000, 3000, 3000, 3000});
  CHECK(t.restarts() == 7);
}

TEST_CASE("supervisor restart tracker: backoff never overflows however many exits", "[restart_tracker]") {
  const int64_t max = int64_t{1} << 62;
  RestartTracker t(Spec(RestartPolicy::kAlways, 1, max, 1000, 3600));
  int64_t last = 0;
  for (int i = 0; i < 200; ++i) {
    int64_t d = t.OnExit(i, true);
    REQUIRE(d >= last);
    REQUIRE(d <= max);
    last = d;
  }
  CHECK(last == max);
}

TEST_CASE("supervisor restart tracker: an initial delay above the cap is capped", "[restart_tracker]") {
  RestartTracker t(Spec(RestartPolicy::kAlways, 5000, 2000));
  CHECK(t.OnExit(0, true) == 2000);
}

TEST_CASE("supervisor restart tracker: a calm window resets the backoff", "[restart_tracker]") {
  RestartTracker t(Spec(RestartPolicy::kAlways, 500, 30000, 5, 60));
  CHECK(t.OnExit(0, true) == 500);
  CHECK(t.OnExit(1000, true) == 1000);
  CHECK(t.OnExit(2000, true) == 2000);
  // 60 s after the last exit, all three have left the window.
  CHECK(t.OnExit(62000, true) == 500);
  CHECK(t.restarts() == 4);
}

TEST_CASE("supervisor restart tracker: exits leave the window one by one", "[restart_tracker]") {
  RestartTracker t(Spec(RestartPolicy::kAlways, 100, 100000, 10, 10));
  CHECK(t.OnExit(0, true) == 100);       // window {0}
  CHECK(t.OnExit(5000, true) == 200);    // {0, 5000}
  CHECK(t.OnExit(10000, true) == 200);   // 0 is 10 s old, out: {5000, 10000}
  CHECK(t.OnExit(14999, true) == 400);   // {5000, 10000, 14999}
  CHECK(t.OnExit(15000, true) == 400);   // 5000 out: {10000, 14999, 15000}
}

TEST_CASE("supervisor restart tracker: gives up past max_restarts exits in the window", "[restart_tracker]") {
  RestartTracker t(Spec(RestartPolicy::kAlways, 500, 30000, 5, 60));
  for (int i = 0; i < 5; ++i) REQUIRE(t.OnExit(i * 1000, true) >= 0);
  CHECK(t.restarts() == 5);
  CHECK(t.OnExit(5000, true) == -1);
  CHECK(t.give_up_reason() == "restarted 5 times within 60 s; giving up");
  CHECK(t.restarts() == 5);
}

TEST_CASE("supervisor restart tracker: exits spread wider than the window never give up", "[restart_tracker]") {
  RestartTracker t(Spec(RestartPolicy::kAlways, 500, 30000, 2, 60));
  // Two exits per minute at most in any window: always restarted.
  for (int i = 0; i < 50; ++i) REQUIRE(t.OnExit(i * 31000, true) >= 0);
  CHECK(t.restarts() == 50);
}

TEST_CASE("supervisor restart tracker: max_restarts 0 gives up on the first failure", "[restart_tracker]") {
  RestartTracker t(Spec(RestartPolicy::kAlways, 500, 30000, 0, 60));
  CHECK(t.OnExit(0, true) == -1);
  CHECK(t.give_up_reason() == "restarted 0 times within 60 s; giving up");
  CHECK(t.restarts() == 0);
}

TEST_CASE("supervisor restart tracker: a successful OnExit clears the previous give-up reason", "[restart_tracker]") {
  RestartTracker t(Spec(RestartPolicy::kOnFailure));
  CHECK(t.OnExit(0, false) == -1);
  CHECK_FALSE(t.give_up_reason().empty());
  CHECK(t.OnExit(1, true) == 500);
  CHECK(t.give_up_reason().empty());
}
