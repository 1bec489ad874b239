// End to end with an LLM worker: manifests/llm-intent.yaml, reduced, against
// the OpenAI-compatible test server started here as a real process on
// 127.0.0.1 (tests/support/openai_test_server/README.md). Traffic drifts to
// intents the worker's prompt does not list, an LLM teacher labels the
// failures, the prompt trainer searches for a better prompt, and the cycle
// must end `promoted` with the gain coming from that search: the summary
// shows its baseline (the incumbent prompt) and candidate validation scores.
// With prompt bounds on (docs/safety.md): the planner LLM's full rewrite is
// cut to max_prompt_change, the search fits its candidates within it, and the
// runtime measures the candidate again before evaluating it.
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

// manifests/llm-intent.yaml pointed at the server and made shorter, with
// prompt bounds: a cycle may change 20% of the prompt, and no version may be
// more than 20% away from the first (the anchor). The search tries few-shot
// sets only (teacher rewrites have their own tests), so what a second cycle
// could make is known: more examples, or other ones, all past the anchor's
// bound once the first cycle has used it.
std::string ReducedManifest(int port) {
  auto edits = kaizen::testing::LlmIntentReducedEdits(port);
  edits.push_back(
      {"    acceptance:\n", "    bounds: {max_prompt_change: 0.2, max_drift_from_anchor: 0.2}\n    acceptance:\n"});
  edits.push_back({"      rewrites: 2\n", "      rewrites: 0\n"});
  return kaizen::testing::ShippedManifest("manifests/llm-intent.yaml", edits);
}

std::string CycleStage(TestCluster& cluster, const std::string& id) {
  json st = cluster.Status();
  if (!st.is_object() || !st.contains("cycle") || !st["cycle"].is_object()) return "";
  return st["cycle"].value("id", "") == id ? st["cycle"].value("stage", "") : "";
}

}  // namespace

TEST_CASE("an LLM worker is improved by prompt optimization within prompt bounds against an OpenAI-compatible "
          "server, to promotion",
          "[e2e][llm]") {
  TestCluster cluster("llm-intent");
  kaizen::testing::TestServerProcess server(fs::path(cluster.manifest_path()).parent_path().string(),
                                             "oracle=" + std::string(KAIZEN_SOURCE_DIR) + "/manifests/data/clinc150.jsonl");
  std::ofstream(cluster.manifest_path()) << ReducedManifest(server.port());
  auto up = cluster.Up();
  REQUIRE(up.exit_code == 0);
  // Once the first cycle is promoted, an operator asks for another round at
  // once: the traffic is still there and the prompt could still improve, but
  // not within 20% of the anchor.
  REQUIRE(kaizen::testing::WaitFor([&] { return CycleStage(cluster, "c1") == "promoted"; }, 240000));
  const auto improve =
      kaizen::testing::Kaizen("improve --as alice --reason \"one more round\" --state-dir " + cluster.state_dir());
  CHECK(improve.exit_code == 0);
  CHECK(improve.out.find("cycle c2 started to improve v2") != std::string::npos);
  json s = cluster.WaitSummary();
  CHECK(cluster.Down().exit_code == 0);
  REQUIRE(s.is_object());
  INFO(s.dump(2));
  std::printf("llm-intent: %s\n", s.dump().c_str());

  REQUIRE(s["cycles"].size() == 2);
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

  // Bounds. The planner LLM asked to rewrite the whole prompt; planning cut
  // its plan to the bound. The search fitted its candidates within it, and the
  // runtime measured the candidate again before evaluating it.
  const std::string journal = kaizen::testing::Kaizen("logs --cycle c1 --state-dir " + cluster.state_dir()).out;
  CHECK(journal.find("the planner LLM proposed changing 100% of the prompt; cut to 20% by "
                     "spec.planning.bounds.max_prompt_change") != std::string::npos);
  CHECK(log.find("bounds: at most 0.2 of v1's prompt changed, at most 0.2 from the anchor v1") != std::string::npos);
  CHECK(log.find("spec.planning.bounds.max_prompt_change is 20%") != std::string::npos);  // a candidate cut or skipped
  const auto registered = journal.find("registered (parent v1); it changes ");
  REQUIRE(registered != std::string::npos);
  INFO(journal.substr(registered, 160));
  CHECK(journal.find("of v1's prompt (max 20%)", registered) != std::string::npos);
  // The second round stops where it would cross the anchor's bound; v2 keeps serving.
  const json& second = s["cycles"][1];
  CHECK(second["trigger"]["policy"] == "manual");
  CHECK(second["trigger"]["reason"] == "alice: one more round");
  CHECK(second["outcome"] == "aborted");
  CHECK_THAT(second["reason"].get<std::string>(),
             Catch::Contains("no candidate prompt within the bounds beats the incumbent") &&
                 Catch::Contains("spec.planning.bounds.max_drift_from_anchor is 20%"));
  CHECK(s["serving"] == c["candidate"]);
  CHECK(kaizen::testing::Kaizen("audit verify --state-dir " + cluster.state_dir()).exit_code == 0);
}

