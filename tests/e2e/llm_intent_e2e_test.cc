// End to end with an LLM worker: manifests/llm-intent.yaml, reduced, against
// the OpenAI-compatible test server started here as a real process on
// 127.0.0.1 (tests/support/openai_test_server/README.md). Traffic drifts to
// intents the worker's prompt does not list, an LLM teacher labels the
// failures, the prompt trainer searches for a better prompt, and the cycle
// must end `promoted` with the gain coming from that search: the summary
// shows its baseline (the incumbent prompt) and candidate validation scores.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/e2e/shipped_manifest.h"
#include "tests/e2e/test_server_process.h"
#include "tests/e2e/llm_intent_manifest.h"
#include "tests/integration/cluster_harness.h"

using kaizen::testing::TestCluster;
using kaizen::testing::ReadFile;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

// manifests/llm-intent.yaml pointed at the server and made shorter.
std::string ReducedManifest(int port) {
  return kaizen::testing::ShippedManifest("manifests/llm-intent.yaml", kaizen::testing::LlmIntentReducedEdits(port));
}

}  // namespace

TEST_CASE("an LLM worker is improved by prompt optimization against an OpenAI-compatible server, to promotion",
          "[e2e][llm]") {
  TestCluster cluster("llm-intent");
  kaizen::testing::TestServerProcess server(fs::path(cluster.manifest_path()).parent_path().string(),
                                             "oracle=" + std::string(KAIZEN_SOURCE_DIR) + "/manifests/data/clinc150.jsonl");
  std::ofstream(cluster.manifest_path()) << ReducedManifest(server.port());
  auto up = cluster.Up();
  REQUIRE(up.exit_code == 0);
  json s = cluster.WaitSummary();
  CHECK(cluster.Down().exit_code == 0);
  REQUIRE(s.is_object());
  INFO(s.dump(2));
  std::printf("llm-intent: %s\n", s.dump().c_str());

  REQUIRE(s["cycles"].size() >= 1);
  const json& c = s["cycles"][0];
  CHECK(c["outcome"] == "promoted");
  CHECK(s["serving"] == c["candidate"]);
  // The gain comes from the prompt search: its best prompt beats the
  // incumbent's on the validation rows by a wide margin ...
  const json& t = c["training"];
  CHECK(t["backend"] == "prompt");
  CHECK(t["candidate_score"].get<double>() >= t["baseline_score"].get<double>() + 0.15);
  // ... evaluation agrees on the same rows, and live traffic after it too.
  CHECK(c["evaluation"]["candidate_accuracy"].get<double>() >= c["evaluation"]["incumbent_accuracy"].get<double>() + 0.15);
  CHECK(s["accuracy"]["after_promotion"].get<double>() > s["accuracy"]["after_drift"].get<double>() + 0.1);
  CHECK(s["tasks"]["lost"] == 0);
  CHECK(s["tasks"]["duplicated"] == 0);
  // LLM calls and tokens per stage: the LLM planner's one call, the teacher's
  // labels, the prompt search, the evaluation of both prompts; the total is
  // their sum, the teacher's part is what the dataset was charged.
  const json& usage = c["llm_usage"];
  CHECK(usage["planning"]["calls"] == 1);
  int64_t calls = 0;
  double cost = 0;
  for (const char* stage : {"planning", "generating_data", "training", "evaluating"}) {
    INFO(stage);
    REQUIRE(usage.contains(stage));
    CHECK(usage[stage]["calls"].get<int64_t>() > 0);
    CHECK(usage[stage]["prompt_tokens"].get<int64_t>() > usage[stage]["calls"].get<int64_t>());
    calls += usage[stage]["calls"].get<int64_t>();
    cost += usage[stage]["cost"].get<double>();
  }
  CHECK(usage["total"]["calls"].get<int64_t>() == calls);
  CHECK(usage["total"]["cost"].get<double>() == Approx(cost));
  CHECK(usage["generating_data"]["cost"].get<double>() == Approx(c["teacher_cost"].get<double>()));
  // The candidate is a prompt file: new intents listed, examples from the new data.
  const std::string log = ReadFile(cluster.state_dir() + "/logs/train-" + c["candidate"].get<std::string>() + ".log");
  CHECK(log.find("candidate 1/") != std::string::npos);
  CHECK(log.find("rewrite 1 of the instructions by the teacher") != std::string::npos);
}
