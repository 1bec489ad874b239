#include "runtime/router/traffic_policy.h"

#include <catch2/catch.hpp>

#include <string>

using kaizen::router::TrafficPolicy;

namespace {
bool Any(const std::string&) { return true; }
}  // namespace

TEST_CASE("a single policy sends everything to one instance, or nowhere when it cannot serve", "[router]") {
  TrafficPolicy p;
  p.SetSingle("worker");
  CHECK(p.Pick("user-1", Any) == "worker");
  CHECK(p.Pick("user-1", [](const std::string&) { return false; }).empty());
  CHECK(p.Describe() == "all -> worker");
}

TEST_CASE("an A/B split sends about its weight of users to the candidate, sticky per user", "[router]") {
  TrafficPolicy p;
  p.SetSplit("clone", "worker", 0.1);
  int to_candidate = 0;
  for (int u = 0; u < 20000; ++u) {
    std::string key = "user-" + std::to_string(u);
    std::string first = p.Pick(key, Any);
    CHECK(p.Pick(key, Any) == first);  // sticky
    to_candidate += first == "worker";
  }
  CHECK(to_candidate > 1700);
  CHECK(to_candidate < 2300);
}

TEST_CASE("raising the weight only moves users from the incumbent to the candidate", "[router]") {
  TrafficPolicy low, high;
  low.SetSplit("clone", "worker", 0.1);
  high.SetSplit("clone", "worker", 0.5);
  for (int u = 0; u < 5000; ++u) {
    std::string key = "u" + std::to_string(u);
    if (low.Pick(key, Any) == "worker") CHECK(high.Pick(key, Any) == "worker");
  }
}

TEST_CASE("when the chosen arm cannot serve, the other arm takes the task", "[router]") {
  TrafficPolicy p;
  p.SetSplit("clone", "worker", 1.0);
  CHECK(p.Pick("k", Any) == "worker");
  CHECK(p.Pick("k", [](const std::string& id) { return id == "clone"; }) == "clone");
}
