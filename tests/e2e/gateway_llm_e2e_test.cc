// End to end with an LLM worker and the simulated users as an OpenAI client:
// manifests/llm-intent.yaml, reduced as in llm_intent_e2e_test.cc, against
// the OpenAI-compatible test server, with every task sent as a streamed chat
// completion through the gateway (simulator.via: gateway, gateway_route:
// chat_completions, stream: true) and every rating as POST /v1/feedback. The
// cycle must promote as it does over the bus, no task lost or answered twice,
// no 5xx, and no user going back from the candidate to the incumbent during
// the A/B test.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

#include "tests/e2e/llm_intent_manifest.h"
#include "tests/e2e/shipped_manifest.h"
#include "tests/e2e/test_server_process.h"
#include "tests/integration/cluster_harness.h"

using kaizen::testing::FreePort;
using kaizen::testing::Kaizen;
using kaizen::testing::TestCluster;
using json = nlohmann::json;
namespace fs = std::filesystem;

TEST_CASE("an LLM worker improved through the gateway: streamed chat completions to promotion", "[e2e][llm][gateway]") {
  const int gateway_port = FreePort();
  TestCluster cluster("llm-gateway");
  kaizen::testing::TestServerProcess server(fs::path(cluster.manifest_path()).parent_path().string(),
                                             "oracle=" + std::string(KAIZEN_SOURCE_DIR) + "/manifests/data/clinc150.jsonl");
  auto edits = kaizen::testing::LlmIntentReducedEdits(server.port());
  // Label what failed within 10 s of the trigger rather than wait 30 s for the whole budget.
  edits.push_back({"collect_timeout_s: 30", "collect_timeout_s: 10"});
  // The simulator's section is last: its keys, then the gateway's section.
  edits.push_back({"    seed: 7\n", "    seed: 7\n"
                                     "    via: gateway\n"
                                     "    gateway_route: chat_completions\n"
                                     "    stream: true\n"
                                     "  gateway:\n"
                                     "    listen: 127.0.0.1:" + std::to_string(gateway_port) + "\n"});
  std::ofstream(cluster.manifest_path()) << kaizen::testing::ShippedManifest("manifests/llm-intent.yaml", edits);
  auto up = cluster.Up();
  REQUIRE(up.exit_code == 0);
  json s = cluster.WaitSummary();
  auto requests = Kaizen("logs --requests --level warn --state-dir " + cluster.state_dir());
  CHECK(cluster.Down().exit_code == 0);
  REQUIRE(s.is_object());
  INFO(s.dump(2));
  std::printf("llm-gateway: %s\n", s.dump().c_str());

  REQUIRE(s["cycles"].size() >= 1);
  const json& c = s["cycles"][0];
  CHECK(c["outcome"] == "promoted");
  CHECK(s["serving"] == c["candidate"]);
  const json& t = c["training"];
  CHECK(t["backend"] == "prompt");
  CHECK(t["candidate_score"].get<double>() >= t["baseline_score"].get<double>() + 0.15);
  CHECK(s["accuracy"]["after_promotion"].get<double>() > s["accuracy"]["after_drift"].get<double>() + 0.1);
  CHECK(s["tasks"]["lost"] == 0);
  CHECK(s["tasks"]["duplicated"] == 0);
  CHECK(s["tasks"]["submitted"] == s["tasks"]["answered"]);
  CHECK(s["router"]["duplicate_answers_dropped"] == 0);

  // Every task went as a streamed chat completion, and came back whole.
  REQUIRE(s.contains("http"));
  const json& http = s["http"];
  CHECK(http["route"] == "/v1/chat/completions");
  CHECK(http["stream"] == true);
  CHECK(http["by_path"].value("/v1/chat/completions", 0) > 0);
  CHECK(http["by_path"].value("/v1/tasks", 0) == 0);
  CHECK(http["tasks"]["answered"] == s["tasks"]["answered"]);
  CHECK(http["tasks"]["failed"].empty());
  CHECK(http["feedback"]["ok"].get<int64_t>() > 0);
  for (const auto& [status, n] : http["errors"].items()) {
    INFO("HTTP errors " << status << ": " << n);
    CHECK(status.rfind('5', 0) != 0);
    CHECK(status != "incomplete");
  }
  // The A/B test ran on HTTP traffic, each user on one arm.
  CHECK(http["arms"]["incumbent"].get<int64_t>() > 0);
  CHECK(http["arms"]["candidate"].get<int64_t>() > 0);
  CHECK(http["arm_flips_back"] == 0);
  INFO("requests refused or failed:\n" << requests.out);
  CHECK_FALSE(std::regex_search(requests.out, std::regex(R"((GET|POST) /v1/\S+ 5[0-9][0-9] )")));
}
