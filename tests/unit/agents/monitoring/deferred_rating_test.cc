#include "agents/monitoring/deferred_rating.h"

#include <random>

#include <catch2/catch.hpp>

using kaizen::agents::RatedAnswer;
using kaizen::agents::RateWorkerOfDeferral;
using kaizen::agents::TriggerEngine;
using json = nlohmann::json;

namespace {

RatedAnswer Deferred(bool thumbs_down, const std::string& served, const std::string& worker_answer) {
  RatedAnswer a;
  a.down = thumbs_down;
  a.model_version = "v1";
  a.predicted = served;
  a.tags = {{"domain", "travel"},
            {"deferred", "oracle"},
            {"deferred_cost", "0.001"},
            {"worker_answer", worker_answer},
            {"worker_confidence", "0.1234"}};
  return a;
}

}  // namespace

TEST_CASE("a deferred answer is rated by whether the worker's own answer agreed with the one served",
          "[monitoring]") {
  RatedAnswer wrong = Deferred(false, "book_flight", "book_hotel");  // thumbs up for the teacher
  CHECK(RateWorkerOfDeferral(&wrong));
  CHECK(wrong.down);  // the worker would have been wrong
  CHECK(wrong.predicted == "book_hotel");
  CHECK(wrong.tags == std::map<std::string, std::string>{{"domain", "travel"}});  // no deferral categories

  RatedAnswer right = Deferred(false, "book_flight", "book_flight");  // agreed, and the user liked it
  CHECK(RateWorkerOfDeferral(&right));
  CHECK_FALSE(right.down);

  RatedAnswer both_wrong = Deferred(true, "book_flight", "book_flight");  // agreed, and the user rated it down
  CHECK(RateWorkerOfDeferral(&both_wrong));
  CHECK(both_wrong.down);

  RatedAnswer plain;  // not deferred: untouched
  plain.down = true;
  plain.predicted = "balance";
  plain.tags = {{"domain", "banking"}};
  CHECK_FALSE(RateWorkerOfDeferral(&plain));
  CHECK(plain.down);
  CHECK(plain.predicted == "balance");
  CHECK(plain.tags.size() == 1);
}

TEST_CASE("a worker that defers its failures to a good teacher still triggers the performance detector",
          "[monitoring]") {
  TriggerEngine::Options o;
  o.triggers = json::array({{{"policy", "performance"},
                             {"detector", "cusum"},
                             {"false_alarm_rate", 1e-6},
                             {"min_shift", 0.1},
                             {"warmup_tasks", 200}}});
  TriggerEngine e(o, 0);
  std::mt19937_64 rng(3);
  std::bernoulli_distribution baseline_down(0.08), drifted_wrong(0.6), defers(0.5);
  int64_t t = 0;
  for (int i = 0; i < 1000; ++i) {
    RatedAnswer a;
    a.down = baseline_down(rng);
    a.model_version = "v1";
    a.predicted = "balance";
    REQUIRE_FALSE(e.Observe(a, t += 10));
  }
  // After a drift the worker is wrong 60% of the time; half of its answers go
  // to a teacher that is always right, and users rate those thumbs-up.
  std::optional<kaizen::v1::Trigger> trig;
  for (int i = 0; i < 3000 && !trig; ++i) {
    const bool wrong = drifted_wrong(rng);
    RatedAnswer a;
    if (defers(rng)) {
      a = Deferred(false, "right", wrong ? "wrong" : "right");
      RateWorkerOfDeferral(&a);
    } else {
      a.down = wrong;
      a.model_version = "v1";
      a.predicted = wrong ? "wrong" : "right";
    }
    trig = e.Observe(a, t += 10);
  }
  CHECK(trig.has_value());
}
