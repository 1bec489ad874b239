// End to end, issue 19's tool_creation: manifests/llm-tools.yaml, reduced,
// against the test server. Customers start asking a shop's LLM worker to
// compute; it answers in words and gets thumbs-down; planning picks
// tool_creation from the diagnosis; the teacher writes a tool whose tests run
// in the bubblewrap sandbox; the worker offers it to its LLM, which calls it.
//  1. A teacher that writes a correct tool: the candidate is evaluated, A/B
//     tested and promoted; the tool is in the repository, accepted; answers
//     of the promoted version carry the tool's calls in their traces.
//  2. A teacher whose tool fails its tests: the tool is recorded as rejected
//     and the cycle ends without ever evaluating a candidate.
// 0 tasks lost or answered twice in each.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>

#include "envelope.pb.h"
#include "runtime/store/store.h"
#include "tests/e2e/shipped_manifest.h"
#include "tests/e2e/test_server_process.h"
#include "tests/integration/cluster_harness.h"

using kaizen::testing::Kaizen;
using kaizen::testing::TestCluster;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

// `after_cycle`: tasks sent once the cycle has ended (a promoted version needs
// enough of them to show its accuracy; an aborted cycle needs only a few).
std::string ToolsManifest(int port, const std::string& teacher_model, int total, int after_cycle) {
  return kaizen::testing::ShippedManifest(
      "manifests/llm-tools.yaml",
      {{"http://127.0.0.1:8090/v1", "http://127.0.0.1:" + std::to_string(port) + "/v1"},
       {"path: data/shop-questions.jsonl",
        "path: " + std::string(KAIZEN_SOURCE_DIR) + "/manifests/data/shop-questions.jsonl"},
       {"state_dir: .kaizen/llm-tools\n", ""},
       {"model: oracle ", "model: " + teacher_model + " "},
       // Each tool call is a fresh sandbox and python3 (~35 ms of CPU): 25 tasks/s leaves a 2-core
       // machine room for the test beside this one.
       {"rate_per_s: 20\n", "rate_per_s: 25\n"},
       {"drift_at_task: 400", "drift_at_task: 300"},
       {"steps: [0.1, 0.5]", "steps: [0.5]"},
       {"min_samples_per_step: 50", "min_samples_per_step: 40"},
       {"total_tasks: 2000", "total_tasks: " + std::to_string(total)},
       {"tasks_after_cycle: 500", "tasks_after_cycle: " + std::to_string(after_cycle)}});
}

// Runs the cluster to its summary with the test server's `teacher_model` as the teacher.
json RunToolsScenario(TestCluster& cluster, const std::string& teacher_model, int total, int after_cycle) {
  const std::string data = std::string(KAIZEN_SOURCE_DIR) + "/manifests/data/shop-questions.jsonl:";
  kaizen::testing::TestServerProcess server(fs::path(cluster.manifest_path()).parent_path().string(),
                                            std::vector<std::string>{"oracle=" + data, "sloppy-oracle=" + data});
  std::ofstream(cluster.manifest_path()) << ToolsManifest(server.port(), teacher_model, total, after_cycle);
  REQUIRE(cluster.Up().exit_code == 0);
  json s = cluster.WaitSummary();
  CHECK(cluster.Down().exit_code == 0);
  REQUIRE(s.is_object());
  std::printf("llm-tools (%s): %s\n", teacher_model.c_str(), s.dump().c_str());
  return s;
}

// `kaizen tools list --json`: one object per tool version.
std::vector<json> ToolVersions(const std::string& state_dir) {
  auto out = Kaizen("tools list --json --state-dir " + state_dir);
  REQUIRE(out.exit_code == 0);
  return kaizen::testing::JsonLines(out.out);
}

// Answers of `version` in the journal, and how many of them called a tool that returned a value.
std::pair<int, int> AnswersWithToolCalls(const std::string& state_dir, const std::string& version) {
  auto store = kaizen::store::Store::Open(state_dir + "/state.db", kaizen::store::Store::Mode::kReadOnly);
  REQUIRE(store.ok());
  kaizen::store::EventFilter filter;
  filter.kind = "task_result";
  filter.limit = 0;
  auto events = (*store)->ReadEvents(filter);
  REQUIRE(events.ok());
  int answers = 0, with_calls = 0;
  for (const auto& e : *events) {
    kaizen::v1::Envelope env;
    REQUIRE(env.ParseFromString(e.payload));
    const auto& r = env.task_result();
    if (r.model_version() != version) continue;
    ++answers;
    for (const auto& c : r.tool_calls()) {
      if (c.ok() && !c.result().empty() && c.name() == "calculate") {
        ++with_calls;
        break;
      }
    }
  }
  return {answers, with_calls};
}

void CheckNoTaskLost(const json& s) {
  CHECK(s["tasks"]["lost"] == 0);
  CHECK(s["tasks"]["duplicated"] == 0);
  CHECK(s["tasks"]["submitted"] == s["tasks"]["answered"]);
}

}  // namespace

TEST_CASE("an LLM worker that fails arithmetic gets a tool it calls in the sandbox, and is promoted",
          "[e2e][llm][tools]") {
  TestCluster cluster("llm-tools");
  json s = RunToolsScenario(cluster, "oracle", 1000, 200);
  INFO(s.dump(2));
  REQUIRE(s["cycles"].size() >= 1);
  const json& c = s["cycles"][0];
  CHECK(c["plan"]["strategy"] == "tool_creation");
  CHECK(c["outcome"] == "promoted");
  CHECK(s["serving"] == c["candidate"]);
  const json& t = c["training"];
  CHECK(t["strategy"] == "tool_creation");
  CHECK(t["tool"]["name"] == "calculate");
  CHECK(t["candidate_score"].get<double>() >= t["baseline_score"].get<double>() + 0.5);
  CHECK(c["evaluation"]["candidate_accuracy"].get<double>() > c["evaluation"]["incumbent_accuracy"].get<double>());
  CHECK(s["accuracy"]["after_promotion"].get<double>() > s["accuracy"]["after_drift"].get<double>() + 0.4);
  CheckNoTaskLost(s);

  const auto tools = ToolVersions(cluster.state_dir());
  REQUIRE(tools.size() == 1);
  CHECK(tools[0]["name"] == "calculate");
  CHECK(tools[0]["status"] == "accepted");
  CHECK(tools[0]["cycle"] == c["id"]);
  auto show = Kaizen("tools show calculate --state-dir " + cluster.state_dir());
  CHECK(show.exit_code == 0);
  CHECK(show.out.find("def calculate(") != std::string::npos);
  auto story = Kaizen("describe cycle " + c["id"].get<std::string>() + " --state-dir " + cluster.state_dir());
  CHECK(story.exit_code == 0);
  CHECK(story.out.find("calculate: accepted, passed") != std::string::npos);

  const auto [answers, with_calls] = AnswersWithToolCalls(cluster.state_dir(), c["candidate"].get<std::string>());
  INFO(answers << " answers of the promoted version, " << with_calls << " with a tool call that returned");
  CHECK(answers > 80);
  CHECK(with_calls > answers / 2);  // after the drift nearly every question is arithmetic
}

TEST_CASE("a created tool that fails its tests is recorded as rejected and never reaches evaluation",
          "[e2e][llm][tools]") {
  TestCluster cluster("llm-tools-sloppy");
  json s = RunToolsScenario(cluster, "sloppy-oracle", 600, 100);
  INFO(s.dump(2));
  REQUIRE(s["cycles"].size() >= 1);
  const json& c = s["cycles"][0];
  CHECK(c["plan"]["strategy"] == "tool_creation");
  CHECK(c["outcome"] == "aborted");
  for (const auto& st : c["stages"]) CHECK(st["name"] != "evaluating");
  CHECK(s["serving"] == c["incumbent"]);
  CheckNoTaskLost(s);
  const auto tools = ToolVersions(cluster.state_dir());
  REQUIRE(tools.size() >= 1);
  CHECK(tools[0]["status"] == "rejected");
  CHECK(tools[0]["reason"].get<std::string>().find("failed") == 0);
  auto story = Kaizen("describe cycle " + c["id"].get<std::string>() + " --state-dir " + cluster.state_dir());
  CHECK(story.exit_code == 0);
  CHECK(story.out.find("calculate: rejected, failed") != std::string::npos);
  // The teacher was paid to write the rejected tool: the cycle's LLM usage says so.
  REQUIRE(c["llm_usage"].contains("training"));
  CHECK(c["llm_usage"]["training"]["calls"].get<int64_t>() >= 1);
  CHECK(c["llm_usage"]["training"]["cost"].get<double>() > 0);
}
