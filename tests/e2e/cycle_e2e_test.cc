// End to end: the reduced intent-router scenario through real processes and
// sockets. Traffic drifts, monitoring triggers, a clone serves, teacher data
// is bought, a candidate is trained, evaluated and A/B tested, and the run
// summary tells the outcome. A bad teacher must never get promoted.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>

#include "tests/integration/cluster_harness.h"

using kaizen::testing::ScenarioManifest;
using kaizen::testing::TestCluster;
using json = nlohmann::json;

namespace {

// Runs the scenario in the background and returns the summary it writes.
json RunScenario(TestCluster& cluster, const std::string& name, double teacher_noise) {
  std::ofstream(cluster.manifest_path()) << ScenarioManifest(name, teacher_noise);
  auto up = cluster.Up();
  REQUIRE(up.exit_code == 0);
  json summary = cluster.WaitSummary();
  CHECK(cluster.Down().exit_code == 0);
  REQUIRE(summary.is_object());
  INFO(summary.dump(2));
  std::printf("%s: %s\n", name.c_str(), summary.dump().c_str());
  return summary;
}

}  // namespace

TEST_CASE("a drop in quality runs a whole cycle to promotion, and no task is lost or answered twice", "[e2e]") {
  TestCluster cluster("e2e-good");
  json s = RunScenario(cluster, "e2e-good", 0.0);
  INFO(s.dump(2));
  REQUIRE(s["cycles"].size() >= 1);
  const json& c = s["cycles"][0];
  CHECK(c["outcome"] == "promoted");
  CHECK(c["trigger"]["policy"] == "performance");
  CHECK(c["trigger"]["task_index"].get<int64_t>() > 1500);  // after the drift, not before
  CHECK(c["teacher_calls"].get<int64_t>() <= 1500);
  CHECK(c["teacher_calls"].get<int64_t>() > 0);
  std::vector<std::string> stages;
  for (const auto& st : c["stages"]) stages.push_back(st["name"]);
  CHECK(stages == std::vector<std::string>{"triggered", "planning", "generating_data", "training", "evaluating",
                                           "rolling_out", "promoted"});
  const json& acc = s["accuracy"];
  CHECK(acc["before_drift"].get<double>() > 0.85);
  CHECK(acc["after_drift"].get<double>() < acc["before_drift"].get<double>() - 0.15);
  CHECK(acc["after_promotion"].get<double>() > acc["after_drift"].get<double>() + 0.1);
  CHECK(s["tasks"]["lost"] == 0);
  CHECK(s["tasks"]["duplicated"] == 0);
  CHECK(s["tasks"]["submitted"] == s["tasks"]["answered"]);
  CHECK(s["serving"] == c["candidate"]);
}

TEST_CASE("a teacher that answers at random never gets its candidate promoted, and the old version keeps serving",
          "[e2e]") {
  TestCluster cluster("e2e-bad");
  json s = RunScenario(cluster, "e2e-bad", 1.0);
  REQUIRE(s["cycles"].size() >= 1);
  const json& c = s["cycles"][0];
  CHECK((c["outcome"] == "aborted" || c["outcome"] == "rolled_back"));
  CHECK(s["serving"] == c["incumbent"]);
  CHECK(s["tasks"]["lost"] == 0);
  CHECK(s["tasks"]["duplicated"] == 0);
  CHECK(s["tasks"]["submitted"] == s["tasks"]["answered"]);
}
