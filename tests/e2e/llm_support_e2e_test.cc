// End to end with a free-text LLM worker: manifests/llm-support.yaml, reduced,
// against the test server. Traffic drifts from shipping to billing and account
// questions the worker's example replies do not cover; users rate replies by
// their overlap with the reference; a senior LLM teacher writes replies to the
// failing messages, the prompt trainer picks few-shot replies graded by the
// LLM judge, evaluation uses the same judge, and the cycle must end promoted
// with live accuracy recovering.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/e2e/shipped_manifest.h"
#include "tests/e2e/test_server_process.h"
#include "tests/integration/cluster_harness.h"

using kaizen::testing::TestCluster;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::string ReducedSupportManifest(int port) {
  return kaizen::testing::ShippedManifest(
      "manifests/llm-support.yaml",
      {{"http://127.0.0.1:8089/v1", "http://127.0.0.1:" + std::to_string(port) + "/v1"},
       {"path: data/support-replies.jsonl",
        "path: " + std::string(KAIZEN_SOURCE_DIR) + "/manifests/data/support-replies.jsonl"},
       {"state_dir: .kaizen/llm-support\n", ""},
       {"rate_per_s: 20\n", "rate_per_s: 40\n"},
       {"total_tasks: 2400", "total_tasks: 1600"},
       {"tasks_after_cycle: 600", "tasks_after_cycle: 400"}});
}

}  // namespace

TEST_CASE("an LLM worker writing support replies is improved with judged few-shot replies, to promotion",
          "[e2e][llm]") {
  TestCluster cluster("llm-support");
  kaizen::testing::TestServerProcess server(
      fs::path(cluster.manifest_path()).parent_path().string(),
      "senior=" + std::string(KAIZEN_SOURCE_DIR) + "/manifests/data/support-replies.jsonl");
  std::ofstream(cluster.manifest_path()) << ReducedSupportManifest(server.port());
  REQUIRE(cluster.Up().exit_code == 0);
  json s = cluster.WaitSummary();
  CHECK(cluster.Down().exit_code == 0);
  REQUIRE(s.is_object());
  INFO(s.dump(2));
  std::printf("llm-support: %s\n", s.dump().c_str());

  REQUIRE(s["cycles"].size() >= 1);
  const json& c = s["cycles"][0];
  CHECK(c["outcome"] == "promoted");
  CHECK(s["serving"] == c["candidate"]);
  const json& t = c["training"];
  CHECK(t["backend"] == "prompt");
  CHECK(t["candidate_score"].get<double>() >= t["baseline_score"].get<double>() + 0.3);
  CHECK(c["evaluation"]["candidate_accuracy"].get<double>() > c["evaluation"]["incumbent_accuracy"].get<double>());
  // The judge graded the prompt search and the evaluation: calls in both stages.
  CHECK(c["llm_usage"]["training"]["calls"].get<int64_t>() > 0);
  CHECK(c["llm_usage"]["evaluating"]["calls"].get<int64_t>() > 0);
  CHECK(s["accuracy"]["after_promotion"].get<double>() > s["accuracy"]["after_drift"].get<double>() + 0.2);
  CHECK(s["tasks"]["lost"] == 0);
  CHECK(s["tasks"]["duplicated"] == 0);
  CHECK(s["tasks"]["submitted"] == s["tasks"]["answered"]);
}
