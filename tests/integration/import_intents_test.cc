// Bringing your own intent data, as a user does it (docs/bring-your-own-data.md):
// a data set in CLINC150's raw layout that is not CLINC150 goes through the real
// `kaizen import-intents`, manifests/my-intents.yaml is copied with only the data
// path and the known domains changed, and `kaizen validate` accepts the copy.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "agents/models/jsonl_dataset.h"
#include "agents/models/text_classifier.h"
#include "tests/integration/cluster_harness.h"
#include "tests/support/synthetic_intents.h"
#include "tests/support/temp_dir.h"

using kaizen::testing::Kaizen;
using kaizen::testing::ReadFile;
using kaizen::testing::TempDir;

namespace {

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

double Accuracy(const kaizen::models::TextClassifier& model, const std::vector<kaizen::models::Example>& data) {
  std::size_t right = 0;
  for (const auto& e : data) right += model.Predict(e.text).label == e.label ? 1 : 0;
  return data.empty() ? 0 : static_cast<double>(right) / static_cast<double>(data.size());
}

std::vector<kaizen::models::Example> Load(const std::string& path, const std::string& split,
                                          const std::vector<std::string>& domains = {}) {
  auto data = kaizen::models::LoadJsonlExamples(path, split, domains);
  REQUIRE(data.ok());
  CHECK(data->skipped() == 0);
  return std::move(data->examples);
}

}  // namespace

TEST_CASE("a data set that is not CLINC150 imports and the template manifest validates on it", "[import-intents]") {
  TempDir tmp("import-intents");
  const std::string raw = tmp.file("raw"), out = tmp.file("out");
  std::filesystem::create_directories(raw);
  std::filesystem::create_directories(out);
  const auto data = kaizen::testing::MakeSyntheticIntents();
  REQUIRE(kaizen::testing::WriteSyntheticIntents(raw, data).ok());

  // Nothing in it is CLINC150's.
  std::set<std::string> clinc;
  for (const auto& line : SplitLines(ReadFile(std::string(KAIZEN_SOURCE_DIR) + "/manifests/data/clinc150.jsonl"))) {
    const auto row = nlohmann::json::parse(line);
    clinc.insert(row.at("intent").get<std::string>());
    clinc.insert(row.at("domain").get<std::string>());
  }
  for (const auto& d : data.domains) CHECK(clinc.count(d) == 0);
  for (const auto& [intent, domain] : data.intents) CHECK(clinc.count(intent) == 0);

  const std::string jsonl = out + "/intents.jsonl";
  auto r = Kaizen("import-intents " + raw + " --output " + jsonl + " 2>&1");
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("wrote 1800 rows to " + jsonl));
  CHECK_THAT(r.out, Catch::Contains("train 1080, val 288, test 432"));
  CHECK_THAT(r.out, Catch::Contains("36 in 6 domains (30 out-of-scope rows left out; --keep-oos keeps them)"));
  CHECK(std::regex_search(r.out, std::regex(R"(garden +6 +180 +48 +72)")));
  CHECK_THAT(r.out, Catch::Contains("[garden, library, observatory, bakery, harbor, orchestra]"));
  CHECK_THAT(r.out, !Catch::Contains("WARNING"));

  // The project's dataset reader takes every row; a classifier learns the
  // intents, not perfectly, and one trained on half the domains misses the rest.
  const std::vector<std::string> known = {"garden", "library", "observatory"};
  const auto test = Load(jsonl, "test");
  REQUIRE(test.size() == 432);
  auto full = kaizen::models::TextClassifier::Train(Load(jsonl, "train"), {});
  REQUIRE(full.ok());
  const double full_accuracy = Accuracy(*full, test);
  auto partial = kaizen::models::TextClassifier::Train(Load(jsonl, "train", known), {});
  REQUIRE(partial.ok());
  const double partial_accuracy = Accuracy(*partial, test);
  INFO("accuracy on test: all domains " << full_accuracy << ", 3 known domains " << partial_accuracy);
  CHECK(full_accuracy > 0.75);
  CHECK(full_accuracy < 0.99);
  CHECK(partial_accuracy < 0.6);

  // The template with its two edits: the data path and the known domains.
  const std::string tmpl = ReadFile(std::string(KAIZEN_SOURCE_DIR) + "/manifests/my-intents.yaml");
  std::string mine = std::regex_replace(tmpl, std::regex(R"(\n(\s+path: )\S+(\s+# EDIT 1))"), "\n$1" + jsonl + "$2");
  mine = std::regex_replace(mine, std::regex(R"((&known_domains )\[[^\]\n]*\])"), "$1[garden, library, observatory]");
  const auto before = SplitLines(tmpl), after = SplitLines(mine);
  REQUIRE(before.size() == after.size());
  std::vector<std::string> changed;
  for (std::size_t i = 0; i < before.size(); ++i)
    if (before[i] != after[i]) changed.push_back(after[i]);
  INFO(mine);
  REQUIRE(changed.size() == 2);
  CHECK_THAT(changed[0], Catch::Contains(jsonl));
  CHECK_THAT(changed[1], Catch::Contains("&known_domains [garden, library, observatory]"));

  const std::string manifest = out + "/mine.yaml";
  std::ofstream(manifest) << mine;
  auto v = Kaizen("validate " + manifest + " 2>&1");
  INFO(v.out);
  CHECK(v.exit_code == 0);
  CHECK_THAT(v.out, Catch::Contains("valid (cluster 'my-intents'"));
}

TEST_CASE("kaizen import-intents keeps oos rows on request and refuses bad input with exit 2", "[import-intents]") {
  TempDir tmp("import-intents-bad");
  const std::string raw = tmp.file("raw");
  std::filesystem::create_directories(raw);
  kaizen::testing::SyntheticIntentsSpec spec;
  spec.domains = 2;
  spec.intents_per_domain = 2;
  spec.train_per_intent = 3;
  spec.val_per_intent = 1;
  spec.test_per_intent = 0;  // no test rows: a warning, not an error
  spec.oos_per_split = 2;
  REQUIRE(kaizen::testing::WriteSyntheticIntents(raw, kaizen::testing::MakeSyntheticIntents(spec)).ok());

  const std::string jsonl = tmp.file("small.jsonl");
  auto r = Kaizen("import-intents " + raw + " --output " + jsonl + " --keep-oos 2>&1");
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("wrote 22 rows") && Catch::Contains("train 14, val 6, test 2"));
  CHECK_THAT(r.out, Catch::Contains("6 out-of-scope rows kept as intent and domain \"oos\""));
  CHECK_THAT(r.out, Catch::Contains("WARNING: domain \"garden\" has 2 val and 0 test rows"));
  CHECK_THAT(r.out, Catch::Contains("[garden, library]"));  // oos is not a domain to choose
  const auto lines = SplitLines(ReadFile(jsonl));
  REQUIRE(lines.size() == 22);
  CHECK_THAT(lines.back(), Catch::EndsWith(R"(, "intent": "oos", "domain": "oos", "split": "test"})"));

  // Bad input: exit 2, the file and the place named, the old output untouched.
  std::ofstream(raw + "/data_full.json") << "{\"train\": [[\"hi\", \"prune_roses\"],]}";
  r = Kaizen("import-intents " + raw + " --output " + jsonl + " 2>&1");
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.out, Catch::Contains(raw + "/data_full.json: not valid JSON at line 1, column"));
  CHECK(SplitLines(ReadFile(jsonl)).size() == 22);

  r = Kaizen("import-intents " + tmp.file("nowhere") + " --output " + jsonl + " 2>&1");
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.out, Catch::Contains(tmp.file("nowhere") + ": no such directory"));

  r = Kaizen("import-intents " + raw + " 2>&1");  // --output is required
  CHECK(r.exit_code == 2);
}
