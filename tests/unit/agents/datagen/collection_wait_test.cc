#include "agents/datagen/collection_wait.h"

#include <catch2/catch.hpp>

namespace kaizen::agents {
namespace {

CollectionProgress At(int64_t now_ms, std::size_t failures, std::size_t qualifying) {
  CollectionProgress p;
  p.wanted = 1000;
  p.failures = failures;
  p.qualifying = qualifying;
  p.failures_at_start = 100;
  p.started_ms = 0;
  p.now_ms = now_ms;
  p.deadline_ms = 60000;
  return p;
}

}  // namespace

TEST_CASE("enough failures end the wait at once") {
  auto v = EnoughCollected(At(10, 1000, 1200));
  CHECK(v.enough);
  CHECK(v.why.find("1000 failures") != std::string::npos);
}

TEST_CASE("the deadline ends the wait with whatever there is") {
  auto v = EnoughCollected(At(60000, 40, 90));
  CHECK(v.enough);
  CHECK(v.why.find("collect_timeout_s") != std::string::npos);
}

TEST_CASE("too few qualifying inputs keep waiting") { CHECK_FALSE(EnoughCollected(At(30000, 300, 500)).enough); }

TEST_CASE("failures that will come in time are waited for even when enough inputs qualify") {
  // 100 -> 400 failures in 3 s: 100/s, 1000 well before the deadline.
  CHECK_FALSE(EnoughCollected(At(3000, 400, 1500)).enough);
}

TEST_CASE("failures too slow to reach the plan stop the wait once enough inputs qualify") {
  // 100 -> 110 failures in 5 s: 2/s, about 220 by the deadline.
  auto v = EnoughCollected(At(5000, 110, 1500));
  CHECK(v.enough);
  CHECK(v.why.find("too slowly") != std::string::npos);
}

TEST_CASE("the failure rate is not trusted before two seconds") {
  CHECK_FALSE(EnoughCollected(At(500, 100, 1500)).enough);
}

}  // namespace kaizen::agents
