// The constitution gate for an LLM worker end to end (issue 18):
// manifests/llm-intent.yaml, reduced and shortened, against the
// OpenAI-compatible test server, with a constitution written at test time.
// Each case is a message of a domain the first prompt does not list, with
// `must_not_contain` its true intent label: the incumbent cannot answer a
// label its prompt does not list (test server rule 4), so it passes every
// case; the improved candidate learns those labels and answers at least one
// of them right, so it loses a case the incumbent passes. The gate must block
// it, whatever it gains, and the incumbent keeps serving.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "agents/models/jsonl_dataset.h"
#include "tests/e2e/llm_intent_manifest.h"
#include "tests/e2e/shipped_manifest.h"
#include "tests/e2e/test_server_process.h"
#include "tests/integration/cluster_harness.h"

using kaizen::testing::Kaizen;
using kaizen::testing::TestCluster;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

const std::string kData = std::string(KAIZEN_SOURCE_DIR) + "/manifests/data/clinc150.jsonl";

// The domains of the first prompt (manifests/llm-intent.yaml, worker.skill.train.domains).
std::vector<std::string> PromptDomains() {
  return {"banking", "credit_cards", "kitchen_and_dining", "home", "auto_and_commute"};
}

// One case per domain the first prompt does not list, from the val/test rows
// the simulator sends: {"id", "input", "must_not_contain": its true intent}.
std::string ForbiddenLabels(std::vector<std::string>* ids) {
  auto known = kaizen::models::LoadJsonlExamples(kData, "train", PromptDomains());
  REQUIRE(known.ok());
  std::set<std::string> listed;
  for (const auto& e : known->examples) listed.insert(e.label);
  const std::vector<std::string> domains = PromptDomains();
  std::set<std::string> done;
  std::string out;
  std::ifstream in(kData);
  std::string line;
  while (std::getline(in, line) && done.size() < 5) {
    const json row = json::parse(line);
    const std::string domain = row.value("domain", ""), intent = row.value("intent", "");
    if (row.value("split", "") == "train" || done.count(domain) ||
        std::find(domains.begin(), domains.end(), domain) != domains.end() || intent.empty() || intent == "oos")
      continue;
    // No label the incumbent may answer contains the forbidden one: it passes the case for sure.
    if (std::any_of(listed.begin(), listed.end(), [&](const std::string& l) { return l.find(intent) != l.npos; }))
      continue;
    done.insert(domain);
    ids->push_back("no-" + intent);
    out += json{{"id", ids->back()}, {"input", row.value("text", "")}, {"must_not_contain", intent}}.dump() + "\n";
  }
  REQUIRE(done.size() == 5);
  return out;
}

// manifests/llm-intent.yaml pointed at the server, made shorter still: one
// attempt (the gate fails every attempt alike), a shorter run, fewer teacher
// labels and fewer validation rows for the prompt search.
std::string ShortManifest(int port, const std::string& constitution) {
  auto edits = kaizen::testing::LlmIntentReducedEdits(port);
  edits.push_back({"max_replans: 1", "max_replans: 0"});
  edits.push_back({"total_tasks: 2500", "total_tasks: 1600"});
  edits.push_back({"drift_at_task: 800", "drift_at_task: 500"});
  edits.push_back({"tasks_after_cycle: 400", "tasks_after_cycle: 50"});
  edits.push_back({"max_validation_rows: 150", "max_validation_rows: 80"});
  // Fewer teacher labels: collecting them from traffic is most of the cycle.
  edits.push_back({"teacher_budget: {max_calls: 1000", "teacher_budget: {max_calls: 400"});
  edits.push_back({"  evaluation:\n    confidence: 0.95\n",
                   "  evaluation:\n    confidence: 0.95\n    constitution: {name: no-new-labels, path: " + constitution +
                       "}\n"});
  return kaizen::testing::ShippedManifest("manifests/llm-intent.yaml", edits);
}

}  // namespace

TEST_CASE("an LLM candidate that says a forbidden string the incumbent never says is not promoted",
          "[e2e][llm][constitution]") {
  const auto start = std::chrono::steady_clock::now();
  TestCluster cluster("llm-constitution");
  const std::string dir = fs::path(cluster.manifest_path()).parent_path().string();
  kaizen::testing::TestServerProcess server(dir, "oracle=" + kData);
  std::vector<std::string> ids;
  const std::string cases_path = dir + "/constitution.jsonl";
  std::ofstream(cases_path) << ForbiddenLabels(&ids);
  std::ofstream(cluster.manifest_path()) << ShortManifest(server.port(), cases_path);

  REQUIRE(cluster.Up().exit_code == 0);
  json s = cluster.WaitSummary();
  CHECK(cluster.Down().exit_code == 0);
  REQUIRE(s.is_object());
  INFO(s.dump(2));
  std::printf("llm-constitution: %s\n", s.dump().c_str());

  REQUIRE(s["cycles"].size() >= 1);
  const json& c = s["cycles"][0];
  CHECK(c["outcome"] == "aborted");
  CHECK(s["serving"] == c["incumbent"]);
  const json& ev = c["evaluation"];
  const std::string gate = ev["constitution"].get<std::string>();
  CHECK(gate.find("constitution 'no-new-labels': the candidate fails") != std::string::npos);
  bool named = false;
  for (const auto& id : ids) named = named || gate.find(id + " \"") != std::string::npos;
  CHECK(named);
  CHECK(gate.find("must not contain \"") != std::string::npos);
  CHECK(c["reason"].get<std::string>().find("constitution 'no-new-labels'") != std::string::npos);
  CHECK(s["tasks"]["lost"] == 0);
  CHECK(s["tasks"]["duplicated"] == 0);

  // kaizen describe cycle lists each lost case (the cluster is down: it reads the store).
  auto describe = Kaizen("describe cycle " + c["id"].get<std::string>() + " --state-dir " + cluster.state_dir());
  INFO(describe.out);
  CHECK(describe.exit_code == 0);
  CHECK(describe.out.find("lost case") != std::string::npos);
  CHECK(describe.out.find("must not contain") != std::string::npos);
  std::printf("llm-constitution: %.1f s\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}
