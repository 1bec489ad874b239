#include "runtime/core/flood_guard.h"

#include <catch2/catch.hpp>

#include <string>

using kaizen::core::FloodGuard;

TEST_CASE("the flood guard lets a burst through, then the rate, per peer", "[core]") {
  FloodGuard g(100, 200);  // 100/s, bursts of 200
  int admitted = 0;
  for (int i = 0; i < 1000; ++i) admitted += g.Admit("flooder", 0);
  CHECK(admitted == 200);
  CHECK(g.limited() == 800);
  // Another peer is not affected.
  CHECK(g.Admit("quiet", 0));
  // One second later the flooder has 100 more.
  admitted = 0;
  for (int i = 0; i < 1000; ++i) admitted += g.Admit("flooder", 1000);
  CHECK(admitted == 100);
}

TEST_CASE("a steady peer under its rate is never limited", "[core]") {
  FloodGuard g(1000, 2000);
  for (int64_t ms = 0; ms < 10000; ++ms) REQUIRE(g.Admit("worker", ms));  // 1000/s exactly
  CHECK(g.limited() == 0);
}

TEST_CASE("a rate of 0 turns the guard off", "[core]") {
  FloodGuard g(0, 0);
  for (int i = 0; i < 100000; ++i) REQUIRE(g.Admit("x", 0));
}

TEST_CASE("peers that never registered share one bucket, however many identities they make up", "[core]") {
  FloodGuard g(100, 200);
  // A new identity per message: without the shared bucket each would get a
  // fresh burst of 200 and a bucket in the table.
  int admitted = 0;
  for (int i = 0; i < 100000; ++i) admitted += g.Admit("stranger-" + std::to_string(i), 0, /*known=*/false);
  CHECK(admitted == 200);
  CHECK(g.limited() == 100000 - 200);
  CHECK(g.limited_unknown() == g.limited());
  CHECK(g.peers() == 0);  // nothing held per made-up identity
  // Registered peers keep their own budget meanwhile.
  CHECK(g.Admit("worker", 0));
  CHECK(g.peers() == 1);
  // The strangers' rate refills as time passes: 100 more a second later.
  admitted = 0;
  for (int i = 0; i < 1000; ++i) admitted += g.Admit("late-" + std::to_string(i), 1000, false);
  CHECK(admitted == 100);
}
