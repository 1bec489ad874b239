#include "agents/simulator/deferral.h"

#include <catch2/catch.hpp>

using kaizen::agents::Deferral;
using json = nlohmann::json;

TEST_CASE("a deferral is read from the teacher's name and the cost as text", "[simulator]") {
  Deferral d = Deferral::From("oracle", "0.0025");
  CHECK(d.deferred());
  CHECK(d.teacher == "oracle");
  CHECK(d.cost == Approx(0.0025));
  CHECK_FALSE(d.cost_unreadable);

  CHECK_FALSE(Deferral::From("", "").deferred());
  CHECK_FALSE(Deferral::From("  ", "0.1").deferred());
  CHECK(Deferral::From(" oracle ", " 1e-3 ").cost == Approx(0.001));
  CHECK(Deferral::From("oracle", "").cost == 0.0);
  CHECK_FALSE(Deferral::From("oracle", "").cost_unreadable);
  for (const char* bad : {"abc", "0.1$", "-0.5", "nan", "inf", "$0.10"}) {
    INFO(bad);
    Deferral b = Deferral::From("oracle", bad);
    CHECK(b.deferred());
    CHECK(b.cost == 0.0);
    CHECK(b.cost_unreadable);
  }
}

TEST_CASE("a deferral is read from a /v1/tasks answer's body", "[simulator]") {
  CHECK_FALSE(Deferral::FromTaskJson(json{{"output", "x"}}).deferred());
  CHECK_FALSE(Deferral::FromTaskJson(json()).deferred());
  CHECK_FALSE(Deferral::FromTaskJson(json{{"deferred", nullptr}}).deferred());
  Deferral d = Deferral::FromTaskJson(json{{"output", "x"}, {"deferred", "oracle"}});
  CHECK(d.teacher == "oracle");
  CHECK(d.cost == 0.0);
  CHECK_FALSE(d.cost_unreadable);
  CHECK(Deferral::FromTaskJson(json{{"deferred", "oracle"}, {"deferred_cost", 0.002}}).cost == Approx(0.002));
  CHECK(Deferral::FromTaskJson(json{{"deferred", "oracle"}, {"deferred_cost", "0.003"}}).cost == Approx(0.003));
  CHECK(Deferral::FromTaskJson(json{{"deferred", "oracle"}, {"deferred_cost", json::object()}}).cost_unreadable);
}
