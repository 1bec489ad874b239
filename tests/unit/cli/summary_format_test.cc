// The run summary `kaizen up` prints when a simulated scenario ends.
#include <catch2/catch.hpp>

#include "runtime/cli/summary_format.h"

using json = nlohmann::json;
using kaizen::cli::FormatSummary;

namespace {

json RunSummary() {
  return {{"cluster", "intent-router"},
          {"wall_seconds", 61.8},
          {"accuracy", {{"before_drift", 0.917}, {"after_drift", 0.473}, {"during_cycle", 0.611}, {"after_promotion", 0.866}}},
          {"tasks",
           {{"submitted", 12342},
            {"answered", 9000},
            {"lost", 0},
            {"duplicated", 0},
            {"tasks_during_cycle", 3000},
            {"accuracy_during_cycle", 0.611},
            {"deferred_tasks", 812},
            {"deferred_share", 812.0 / 9000},
            {"deferred_share_during_cycle", 0.213},
            {"deferred_cost", 0.812}}},
          {"cycles", json::array()},
          {"serving", "v1"}};
}

}  // namespace

TEST_CASE("the run summary shows accuracy during the cycle next to the other phases", "[cli]") {
  const std::string out = FormatSummary(RunSummary());
  INFO(out);
  CHECK(out.find("accuracy on live traffic:  before drift 0.917   after drift 0.473   during the cycle 0.611   "
                 "after promotion 0.866\n") != std::string::npos);
  json s = RunSummary();
  s["accuracy"]["during_cycle"] = nullptr;  // no cycle ran
  CHECK(FormatSummary(s).find("during the cycle -   after promotion") != std::string::npos);
}

TEST_CASE("the run summary counts answers deferred to a teacher overall and during the cycle with their cost",
          "[cli]") {
  const std::string out = FormatSummary(RunSummary());
  INFO(out);
  CHECK(out.find("\ndeferred 812 of 9,000 tasks (9.0%; 21.3% during the cycle), $0.81\n") != std::string::npos);

  json s = RunSummary();
  s["tasks"]["deferred_share_during_cycle"] = nullptr;
  CHECK(FormatSummary(s).find("deferred 812 of 9,000 tasks (9.0%), $0.81\n") != std::string::npos);
  s["tasks"]["deferred_tasks"] = 0;  // no deferral: no line
  CHECK(FormatSummary(s).find("deferred") == std::string::npos);
  s["tasks"].erase("deferred_tasks");  // a summary from before deferral
  CHECK(FormatSummary(s).find("deferred") == std::string::npos);
}

TEST_CASE("after follow-up rounds the run summary adds the accuracy after the last promotion", "[cli]") {
  json s = RunSummary();
  CHECK(FormatSummary(s).find("after the last") == std::string::npos);  // no cycle: nothing to add
  s["accuracy"]["after_last_promotion"] = 0.878;
  s["cycles"] = json::array({{{"id", "c1"}, {"outcome", "promoted"}}, {{"id", "c2"}, {"outcome", "promoted"}}});
  const std::string out = FormatSummary(s);
  INFO(out);
  CHECK(out.find("  after the last of 2 promotions 0.878\n") != std::string::npos);
  s["cycles"][1]["outcome"] = "rolled_back";  // one promotion: after_promotion says it
  CHECK(FormatSummary(s).find("after the last") == std::string::npos);
}
