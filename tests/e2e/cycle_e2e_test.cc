// End to end: the reduced intent-router scenario through real processes and
// sockets. Traffic drifts, monitoring triggers, a clone serves, teacher data
// is bought, a candidate is trained, evaluated and A/B tested, and the run
// summary tells the outcome. A bad teacher must never get promoted.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>

#include "tests/integration/cluster_harness.h"

using kaizen::testing::TestCluster;
using kaizen::testing::WaitFor;
using json = nlohmann::json;

namespace {

std::string ScenarioManifest(const std::string& name, double teacher_noise) {
  const std::string data = std::string(KAIZEN_SOURCE_DIR) + "/manifests/data/clinc150.jsonl";
  return "apiVersion: kaizen.dev/v1\n"
         "kind: Cluster\n"
         "metadata: {name: " + name + "}\n"
         "spec:\n"
         "  runtime:\n"
         "    heartbeat: {interval_ms: 200, liveness: 10}\n"
         "    restart: {policy: always, backoff_initial_ms: 200, backoff_max_ms: 2000, max_restarts: 5, window_s: 60}\n"
         "  data:\n"
         "    clinc150: {path: " + data + "}\n"
         "  worker:\n"
         "    skill:\n"
         "      backend: builtin-classifier\n"
         "      train: {dataset: clinc150, split: train, domains: [banking, credit_cards, kitchen_and_dining, home, "
         "auto_and_commute]}\n"
         "  teachers:\n"
         "    - name: oracle\n"
         "      train: {dataset: clinc150, split: train}\n"
         "      cost_per_call: 0.001\n"
         "      noise: " + std::to_string(teacher_noise) + "\n"
         "  monitoring:\n"
         "    cooldown_s: 600\n"
         "    triggers: [{policy: performance, detector: cusum, false_alarm_rate: 0.0001, min_shift: 0.1, "
         "warmup_tasks: 200}]\n"
         "  planning:\n"
         "    max_replans: 1\n"
         "    teacher_budget: {max_calls: 1500, max_cost: 5.0}\n"
         "  datagen: {collect_timeout_s: 20}\n"
         "  deployment: {steps: [0.1, 0.5], min_samples_per_step: 100}\n"
         "  simulator:\n"
         "    dataset: clinc150\n"
         "    split: val,test\n"
         "    rate_per_s: 300\n"
         "    total_tasks: 5000\n"
         "    drift_at_task: 1500\n"
         "    before_drift_domains: [banking, credit_cards, kitchen_and_dining, home, auto_and_commute]\n"
         "    tasks_after_cycle: 1500\n"
         "    max_tasks: 30000\n"
         "    seed: 11\n";
}

// Runs the scenario in the background and returns the summary it writes.
json RunScenario(TestCluster& cluster, const std::string& name, double teacher_noise) {
  std::ofstream(cluster.manifest_path()) << ScenarioManifest(name, teacher_noise);
  auto up = cluster.Up();
  REQUIRE(up.exit_code == 0);
  const std::string summary_path = cluster.state_dir() + "/summary.json";
  bool done = WaitFor([&] { (void)cluster.Status(); return std::filesystem::exists(summary_path); }, 240000);
  json summary;
  if (done) {
    std::ifstream in(summary_path);
    summary = json::parse(in, nullptr, false);
  }
  CHECK(cluster.Down().exit_code == 0);
  REQUIRE(done);
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
