// Improvement efficacy, end to end (issue 15): the shipped demo at its teacher
// budget of 1,000 calls with serve-time deferral on, and the template a user
// copies for their own data (two rounds of 500 calls: a follow-up round) run
// on an intent data set that is not CLINC150.
// Both are outcomes of real runs: the floors below are ones the runs clear
// with room (the figures they reach are in bench/README.md, efficacy.*).
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>

#include <nlohmann/json.hpp>

#include "agents/models/jsonl_dataset.h"
#include "agents/models/text_classifier.h"
#include "agents/sdk/artifacts.h"
#include "runtime/store/store.h"
#include "tests/e2e/shipped_manifest.h"
#include "tests/integration/cluster_harness.h"
#include "tests/support/synthetic_intents.h"

using kaizen::testing::FreePort;
using kaizen::testing::Kaizen;
using kaizen::testing::TestCluster;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

const std::string kData = std::string(KAIZEN_SOURCE_DIR) + "/manifests/data/clinc150.jsonl";

void CheckNothingLost(const json& s) {
  CHECK(s["tasks"]["lost"] == 0);
  CHECK(s["tasks"]["duplicated"] == 0);
  CHECK(s["tasks"]["submitted"] == s["tasks"]["answered"]);
  CHECK(s["router"]["duplicate_answers_dropped"] == 0);
}

int64_t TeacherCalls(const json& s) {
  int64_t calls = 0;
  for (const auto& c : s["cycles"]) calls += c["teacher_calls"].get<int64_t>();
  return calls;
}

// Runs `manifest` to the end of its scenario; the summary, with its first
// cycle checked to have promoted and every cycle together to have spent at
// most 1,000 teacher calls.
// `up_args`: more for `kaizen up --detach`.
json RunPromoted(TestCluster& cluster, const std::string& manifest, const std::string& up_args = "") {
  std::ofstream(cluster.manifest_path()) << manifest;
  REQUIRE(cluster.Up(up_args).exit_code == 0);
  json s = cluster.WaitSummary();
  CHECK(cluster.Down().exit_code == 0);
  REQUIRE(s.is_object());
  INFO(s.dump(1));
  REQUIRE(s["cycles"].size() >= 1);
  CHECK(s["cycles"][0]["outcome"] == "promoted");
  CHECK(TeacherCalls(s) <= 1000);
  CheckNothingLost(s);
  return s;
}

// The shipped demo with the data path absolute, no metrics port and a free
// gateway port (so that it runs beside anything else), then `edits`.
std::string Demo(std::vector<std::pair<std::string, std::string>> edits) {
  std::vector<std::pair<std::string, std::string>> all = {
      {"path: data/clinc150.jsonl", "path: " + kData},
      {"path: constitution/intent-router.jsonl",
       "path: " + std::string(KAIZEN_SOURCE_DIR) + "/manifests/constitution/intent-router.jsonl"},
      {"metrics: {port: 9464, bind: 127.0.0.1}", "metrics: {port: 0}"},
      {"listen: 127.0.0.1:8080", "listen: 127.0.0.1:" + std::to_string(FreePort())}};
  all.insert(all.end(), edits.begin(), edits.end());
  return kaizen::testing::ShippedManifest("manifests/intent-router.yaml", all);
}

double Accuracy(const kaizen::models::TextClassifier& m, const std::vector<kaizen::models::Example>& rows) {
  std::size_t right = 0;
  for (const auto& e : rows) right += m.Predict(e.text).label == e.label ? 1 : 0;
  return rows.empty() ? 0 : static_cast<double>(right) / static_cast<double>(rows.size());
}

}  // namespace

TEST_CASE("the demo recovers with 1000 teacher calls and deferral answers the least confident tasks meanwhile",
          "[e2e][efficacy]") {
  TestCluster cluster("efficacy-demo");
  // The two no-op edits fail the test if the shipped demo no longer has its
  // budget and deferral: the figures below are about exactly those settings.
  const json s = RunPromoted(cluster, Demo({{"max_calls: 1000", "max_calls: 1000"},
                                            {"defer: {enabled: true, max_share: 0.25",
                                             "defer: {enabled: true, max_share: 0.25"}}));
  INFO(s.dump(1));
  const json& c = s["cycles"][0];
  const json& acc = s["accuracy"];
  // The worker alone answers about 0.46 after the drift; promoted, about 0.85
  // on its own and above 0.88 with deferral.
  CHECK(acc["after_promotion"].get<double>() >= 0.84);
  // Deferral within its budget, and what it buys while the cycle runs: the
  // clone alone would answer about 0.47 of these tasks right.
  CHECK(s["tasks"]["deferred_share"].get<double>() <= 0.27);
  CHECK(s["tasks"]["deferred_share_during_cycle"].get<double>() <= 0.27);
  CHECK(s["tasks"]["accuracy_during_cycle"].get<double>() >= 0.62);
  std::printf("demo: after promotion %.3f, during the cycle %.3f, deferred %.3f (%.3f during the cycle), teacher calls %lld\n",
              acc["after_promotion"].get<double>(), s["tasks"]["accuracy_during_cycle"].get<double>(),
              s["tasks"]["deferred_share"].get<double>(), s["tasks"]["deferred_share_during_cycle"].get<double>(),
              static_cast<long long>(c["teacher_calls"].get<int64_t>()));
}

TEST_CASE("in rounds: half the budget and a follow-up round on the promoted version's failures, without deferral",
          "[e2e][efficacy]") {
  TestCluster cluster("efficacy-rounds");
  // The demo with deferral off, 500 calls a round and one follow-up round:
  // at most the demo's 1,000 calls for the whole recovery. The rate only
  // makes the run shorter.
  // Detached, as an operator would run it, with the summary written where asked.
  const std::string summary_file = cluster.state_dir() + "/../rounds-summary.json";
  // Without the demo's constitution: a first round of 500 labels makes a v2
  // that loses one of its cases (it takes "put eggs on the grocery list" for
  // todo_list_update), which the gate rightly blocks, and the round's budget
  // leaves nothing to replan with. This test measures what rounds buy; the
  // gate has its own (e2e_constitution_test, and the demo test above).
  const std::string constitution = "    constitution:\n      name: demo-safety\n      path: " +
                                   std::string(KAIZEN_SOURCE_DIR) + "/manifests/constitution/intent-router.jsonl\n";
  const json s = RunPromoted(cluster, Demo({{constitution, ""},
                                            {"rate_per_s: 200", "rate_per_s: 400"},
                                            {"max_calls: 1000", "max_calls: 500"},
                                            {"defer: {enabled: true", "defer: {enabled: false"},
                                            {"follow_up: {enabled: false}",
                                             "follow_up: {enabled: true, max_rounds: 1}"}}),
                             "--summary-json " + summary_file);
  INFO(s.dump(1));
  std::ifstream written(summary_file);
  CHECK(json::parse(written, nullptr, false) == s);
  // 500 labels leave v2 near 0.8, far below the 0.92 before the drift: the
  // follow-up is sure to fire, dated at v2's first answer, and its labels
  // join the first round's.
  REQUIRE(s["cycles"].size() == 2);
  const json& follow = s["cycles"][1];
  CHECK(follow["trigger"]["policy"] == "follow_up");
  CHECK(follow["outcome"] == "promoted");
  CHECK(s["tasks"]["deferred_tasks"] == 0);
  const double last = s["accuracy"]["after_last_promotion"].get<double>();
  CHECK(last >= 0.84);  // one cycle of 1,000 calls reaches about 0.85
  std::printf("rounds: since the first promotion %.3f, after the last %.3f, teacher calls %lld\n",
              s["accuracy"]["after_promotion"].get<double>(), last, static_cast<long long>(TeacherCalls(s)));
}

TEST_CASE("the template for your own data improves a worker on an intent data set that is not CLINC150",
          "[e2e][efficacy]") {
  TestCluster cluster("efficacy-own-data");
  const fs::path dir = fs::path(cluster.manifest_path()).parent_path() / "raw";
  fs::create_directories(dir);
  kaizen::testing::SyntheticIntentsSpec spec;
  spec.domains = 8;
  spec.seed = 11;
  const auto data = kaizen::testing::MakeSyntheticIntents(spec);
  REQUIRE(kaizen::testing::WriteSyntheticIntents(dir.string(), data).ok());
  const std::string jsonl = (dir / "intents.jsonl").string();
  auto imported = Kaizen("import-intents " + dir.string() + " --output " + jsonl);
  REQUIRE(imported.exit_code == 0);

  // Only what the template says to change: the data path and the known domains
  // (half of them); then the ports, so that the test runs beside anything else;
  // and a follow-up's A/B test that cannot tell the versions apart keeps the
  // incumbent after 6,000 samples instead of 20,000 (the same outcome, up to
  // 70 s sooner at 200 tasks/s, which the CI's time limit needs).
  std::string known;
  for (std::size_t i = 0; i < data.domains.size() / 2; ++i) known += (known.empty() ? "" : ", ") + data.domains[i];
  const std::string manifest = kaizen::testing::ShippedManifest(
      "manifests/my-intents.yaml",
      {{"path: data/clinc150.jsonl", "path: " + jsonl},
       {"&known_domains [banking, credit_cards, kitchen_and_dining, home, auto_and_commute]", "&known_domains [" + known + "]"},
       {"port: 9464", "port: 0"},
       {"listen: 127.0.0.1:8080", "listen: 127.0.0.1:" + std::to_string(FreePort())},
       {"    steps: [0.1, 0.5]               # A/B", "    max_samples: 6000\n    steps: [0.1, 0.5]               # A/B"}});
  const json s = RunPromoted(cluster, manifest);
  INFO(s.dump(1));
  // The template works in rounds of up to 500 calls. Whether the first one
  // leaves the worker far enough below its level before the drift for a
  // follow-up round depends on the data (on this set it usually does, by a
  // few points); a second cycle can only be that round.
  REQUIRE(s["cycles"].size() <= 2);
  if (s["cycles"].size() == 2) CHECK(s["cycles"][1]["trigger"]["policy"] == "follow_up");

  // The promoted model on its own (deferral does not help it here), against
  // the teacher - the same classifier trained on every domain - on the texts
  // the simulated users send.
  auto store = kaizen::store::Store::Open(cluster.state_dir() + "/state.db", kaizen::store::Store::Mode::kReadOnly);
  REQUIRE(store.ok());
  auto row = (*store)->GetModel(s["serving"].get<std::string>());
  REQUIRE(row.ok());
  REQUIRE(*row);
  auto path = kaizen::sdk::PathFromUri((**row).uri);
  REQUIRE(path.ok());
  auto promoted = kaizen::models::TextClassifier::Load(*path);
  REQUIRE(promoted.ok());
  auto train = kaizen::models::LoadJsonlExamples(jsonl, "train");
  auto val = kaizen::models::LoadJsonlExamples(jsonl, "val");
  auto test = kaizen::models::LoadJsonlExamples(jsonl, "test");
  REQUIRE(train.ok());
  REQUIRE(val.ok());
  REQUIRE(test.ok());
  auto served = val->examples;
  served.insert(served.end(), test->examples.begin(), test->examples.end());
  auto teacher = kaizen::models::TextClassifier::Train(train->examples, kaizen::models::TrainOptions{});
  REQUIRE(teacher.ok());
  const double teacher_acc = Accuracy(*teacher, served), promoted_acc = Accuracy(*promoted, served);
  INFO("promoted " << promoted_acc << " vs teacher " << teacher_acc);
  std::printf("own data: promoted %s %.3f alone, teacher %.3f (%.1f%%), live after the last promotion %.3f, teacher "
              "calls %lld in %zu cycles\n",
              s["serving"].get<std::string>().c_str(), promoted_acc, teacher_acc, 100 * promoted_acc / teacher_acc,
              s["accuracy"]["after_last_promotion"].get<double>(), static_cast<long long>(TeacherCalls(s)),
              s["cycles"].size());
  // Runs reached 94.8% to 99.6% of the teacher (bench/README.md, efficacy).
  CHECK(promoted_acc >= 0.92 * teacher_acc);
}
