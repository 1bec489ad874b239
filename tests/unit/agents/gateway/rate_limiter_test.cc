#include "agents/gateway/rate_limiter.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <thread>
#include <vector>

using namespace kaizen::gateway;

TEST_CASE("per_second 0 is unlimited and remembers no client", "[gateway][rate]") {
  RateLimiter limiter(0, 1);
  CHECK(limiter.unlimited());
  for (int i = 0; i < 1000; ++i) CHECK_FALSE(limiter.Take("alice", 0).has_value());
  CHECK(limiter.clients() == 0);
  CHECK(RateLimiter(-1, 5).unlimited());
  CHECK(RateLimiter(std::numeric_limits<double>::quiet_NaN(), 5).unlimited());
}

TEST_CASE("a client gets its burst at once, then one request per 1/per_second", "[gateway][rate]") {
  RateLimiter limiter(2, 3);  // 2 per second, 3 at once
  for (int i = 0; i < 3; ++i) CHECK_FALSE(limiter.Take("alice", 1000).has_value());
  auto wait = limiter.Take("alice", 1000);
  REQUIRE(wait.has_value());
  CHECK(*wait == Approx(0.5));
  wait = limiter.Take("alice", 1200);
  REQUIRE(wait.has_value());
  CHECK(*wait == Approx(0.3));  // 0.4 tokens after 200 ms
  CHECK_FALSE(limiter.Take("alice", 1500).has_value());
  CHECK(limiter.Take("alice", 1500).has_value());
  // A long pause refills to the burst, no further.
  for (int i = 0; i < 3; ++i) CHECK_FALSE(limiter.Take("alice", 100000).has_value());
  CHECK(limiter.Take("alice", 100000).has_value());
}

TEST_CASE("clients have buckets of their own", "[gateway][rate]") {
  RateLimiter limiter(1, 1);
  CHECK_FALSE(limiter.Take("alice", 0).has_value());
  CHECK(limiter.Take("alice", 0).has_value());
  CHECK_FALSE(limiter.Take("bob", 0).has_value());
  CHECK(limiter.clients() == 2);
}

TEST_CASE("a refused request takes no token, and the wait shrinks as time passes", "[gateway][rate]") {
  RateLimiter limiter(0.5, 1);  // one request every 2 s
  CHECK_FALSE(limiter.Take("alice", 0).has_value());
  for (int i = 0; i < 100; ++i) {
    auto wait = limiter.Take("alice", 0);
    REQUIRE(wait.has_value());
    CHECK(*wait == Approx(2.0));
  }
  auto wait = limiter.Take("alice", 1500);
  REQUIRE(wait.has_value());
  CHECK(*wait == Approx(0.5));
  CHECK(std::ceil(*wait) == 1);  // Retry-After: 1
  CHECK_FALSE(limiter.Take("alice", 2000).has_value());
}

TEST_CASE("a clock that steps back adds no tokens", "[gateway][rate]") {
  RateLimiter limiter(1, 1);
  CHECK_FALSE(limiter.Take("alice", 10000).has_value());
  CHECK(limiter.Take("alice", 5000).has_value());
  CHECK(limiter.Take("alice", 10500).has_value());
  CHECK_FALSE(limiter.Take("alice", 11000).has_value());
}

TEST_CASE("a burst below 1 counts as 1", "[gateway][rate]") {
  RateLimiter limiter(10, 0.2);
  CHECK(limiter.burst() == 1);
  CHECK_FALSE(limiter.Take("alice", 0).has_value());
  CHECK(limiter.Take("alice", 0).has_value());
  CHECK_FALSE(limiter.Take("alice", 100).has_value());
}

TEST_CASE("at the client limit full buckets are forgotten first", "[gateway][rate]") {
  RateLimiter limiter(1, 1, 10);
  for (int i = 0; i < 9; ++i) CHECK_FALSE(limiter.Take("c" + std::to_string(i), 0).has_value());
  CHECK_FALSE(limiter.Take("late", 900).has_value());  // full again at 1900
  CHECK(limiter.clients() == 10);
  // At 1000 c0..c8 are full again: a new client forgets them, not "late".
  CHECK_FALSE(limiter.Take("new", 1000).has_value());
  CHECK(limiter.clients() == 2);
  auto wait = limiter.Take("late", 1000);
  REQUIRE(wait.has_value());
  CHECK(*wait == Approx(0.9));
}

TEST_CASE("at the client limit with no full bucket the nearest to full are forgotten", "[gateway][rate]") {
  RateLimiter limiter(1, 1, 10);
  for (int i = 0; i < 10; ++i) CHECK_FALSE(limiter.Take("c" + std::to_string(i), i * 10).has_value());
  CHECK_FALSE(limiter.Take("x", 100).has_value());  // forgets c0, the first to be full (at 1000)
  CHECK(limiter.clients() == 10);
  CHECK(limiter.Take("c9", 100).has_value());       // still remembered: refused
  CHECK_FALSE(limiter.Take("c0", 100).has_value()); // forgotten: a fresh bucket
  CHECK(limiter.clients() == 10);
}

TEST_CASE("memory stays bounded under many clients", "[gateway][rate]") {
  RateLimiter limiter(1, 5, 1000);
  for (int i = 0; i < 20000; ++i) {
    limiter.Take("client-" + std::to_string(i), i / 100);
    REQUIRE(limiter.clients() <= 1000);
  }
  // Much later everything is full: the next new client clears the table.
  CHECK_FALSE(limiter.Take("later", 10'000'000).has_value());
  CHECK(limiter.clients() == 1);
}

TEST_CASE("concurrent Take calls hand out exactly the burst", "[gateway][rate]") {
  RateLimiter limiter(0.001, 100);
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) {
        if (!limiter.Take("shared", 0).has_value()) ++allowed;
        limiter.Take("own-" + std::to_string(i % 10), 0);
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(allowed == 100);
  CHECK(limiter.clients() == 11);
}
