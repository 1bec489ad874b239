// End to end through the HTTP gateway: the reduced intent-router scenario with
// the simulated users sending every task and every rating as HTTP requests
// (simulator.via: gateway), the path a real application takes. A whole cycle
// (drift, trigger, clone, training, A/B, promotion) runs on HTTP traffic and
// HTTP feedback alone, and no task is lost or answered twice.
#include <catch2/catch.hpp>

#include <fstream>
#include <regex>
#include <string>

#include "tests/integration/cluster_harness.h"

using kaizen::testing::FreePort;
using kaizen::testing::Kaizen;
using kaizen::testing::ScenarioManifest;
using kaizen::testing::TestCluster;
using json = nlohmann::json;

TEST_CASE("a whole cycle driven only through the gateway promotes, and no task is lost or answered twice",
          "[e2e][gateway]") {
  const int port = FreePort();
  TestCluster cluster("e2e-gateway");
  // The simulator's section is last in the scenario: its keys, then the gateway's section.
  std::ofstream(cluster.manifest_path()) << ScenarioManifest("e2e-gateway", 0.0) + "    via: gateway\n" +
                                                "  gateway:\n"
                                                "    listen: 127.0.0.1:" + std::to_string(port) + "\n";
  REQUIRE(cluster.Up().exit_code == 0);
  json s = cluster.WaitSummary();
  auto requests = Kaizen("logs --requests --level warn --state-dir " + cluster.state_dir());
  CHECK(cluster.Down().exit_code == 0);
  REQUIRE(s.is_object());
  INFO(s.dump(2));
  std::printf("e2e-gateway: %s\n", s.dump().c_str());
  REQUIRE(s["cycles"].size() >= 1);
  const json& c = s["cycles"][0];
  CHECK(c["outcome"] == "promoted");
  CHECK(c["trigger"]["policy"] == "performance");
  CHECK(c["trigger"]["task_index"].get<int64_t>() > 1500);
  const json& acc = s["accuracy"];
  CHECK(acc["after_drift"].get<double>() < acc["before_drift"].get<double>() - 0.15);
  CHECK(acc["after_promotion"].get<double>() > acc["after_drift"].get<double>() + 0.1);
  CHECK(s["tasks"]["lost"] == 0);
  CHECK(s["tasks"]["duplicated"] == 0);
  CHECK(s["tasks"]["submitted"] == s["tasks"]["answered"]);
  CHECK(s["serving"] == c["candidate"]);
  // Every task went over HTTP: the router saw each once.
  CHECK(s["router"]["duplicate_answers_dropped"] == 0);
  // The A/B test ran on HTTP traffic with both arms, and no user went back
  // from the candidate to the incumbent (docs/cycle.md, sticky arms).
  REQUIRE(s.contains("http"));
  CHECK(s["http"]["arms"]["incumbent"].get<int64_t>() > 0);
  CHECK(s["http"]["arms"]["candidate"].get<int64_t>() > 0);
  CHECK(s["http"]["arm_flips_back"] == 0);
  INFO("requests refused or failed:\n" << requests.out);
  // No 5xx answered to the simulated users.
  CHECK_FALSE(std::regex_search(requests.out, std::regex(R"((GET|POST) /v1/\S+ 5[0-9][0-9] )")));
}
