#include "agents/training/builtin_trainer.h"

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sys/wait.h>

#include <nlohmann/json.hpp>

#include "agents/models/text_classifier.h"
#include "tests/support/temp_dir.h"

namespace kaizen::agents {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

void Write(const fs::path& p, const std::vector<json>& rows) {
  std::ofstream out(p);
  for (const auto& r : rows) out << r.dump() << "\n";
}

// Original skill: travel vs banking. New data: a label the base never saw.
struct TrainerFixture {
  testing::TempDir dir{"trainer"};
  fs::path base = dir.path() / "base.kzm", replay = dir.path() / "orig.jsonl", dataset = dir.path() / "new.jsonl",
           out = dir.path() / "v2.kzm";
  TrainerFixture() {
    std::vector<json> orig;
    std::vector<models::Example> examples;
    for (int i = 0; i < 30; ++i) {
      for (auto [text, label] : {std::pair{"book a flight to paris", "travel"}, {"check my bank balance", "banking"}}) {
        std::string t = std::string(text) + " " + std::to_string(i);
        orig.push_back({{"text", t}, {"label", label}, {"split", "train"}, {"domain", label}});
        examples.push_back({t, label});
      }
    }
    Write(replay, orig);
    auto model = models::TextClassifier::Train(examples, models::TrainOptions{});
    REQUIRE(model.ok());
    REQUIRE(model->Save(base.string(), "v1").ok());
    std::vector<json> rows;
    for (int i = 0; i < 30; ++i) {
      rows.push_back({{"text", "set an alarm for seven " + std::to_string(i)},
                      {"label", "alarm"},
                      {"split", i % 5 == 0 ? "validation" : "train"},
                      {"task_id", "t" + std::to_string(i)},
                      {"tags", {{"domain", "utility"}}},
                      {"teacher", "oracle"},
                      {"selected_by", "thumbs_down"}});
    }
    Write(dataset, rows);
  }
  BuiltinTrainOptions Options() const {
    BuiltinTrainOptions o;
    o.base_path = base.string();
    o.dataset_path = dataset.string();
    o.replay_path = replay.string();
    o.replay_fraction = 0.5;
    o.epochs = 5;
    o.version = "v2";
    o.output_path = out.string();
    return o;
  }
};

TEST_CASE("replay row count follows the fraction and is capped") {
  CHECK(ReplayRowCount(0.0, 100, 1000) == 0);
  CHECK(ReplayRowCount(0.5, 100, 1000) == 100);
  CHECK(ReplayRowCount(0.2, 100, 1000) == 25);
  CHECK(ReplayRowCount(0.5, 100, 40) == 40);
  CHECK(ReplayRowCount(1.0, 100, 40) == 40);
}

TEST_CASE("a warm-started model learns the new label and keeps the old ones") {
  TrainerFixture f;
  std::vector<std::string> messages;
  double last_fraction = -1;
  bool monotone = true;
  auto stats = RunBuiltinTraining(f.Options(), [&](double fraction, double, const std::string& msg) {
    monotone &= fraction >= last_fraction;
    last_fraction = fraction;
    messages.push_back(msg);
  });
  REQUIRE(stats.ok());
  CHECK(stats->train_rows == 24);   // validation rows are not trained on
  CHECK(stats->replay_rows == 24);  // replay_fraction 0.5: as many old rows as new
  CHECK(stats->epochs == 5);
  CHECK(stats->final_loss > 0);
  CHECK(monotone);
  CHECK(last_fraction == 1.0);
  CHECK(messages.size() == 7);  // loaded, 5 epochs, saved
  CHECK(messages[1] == "epoch 1/5");

  auto model = models::TextClassifier::Load(f.out.string());
  REQUIRE(model.ok());
  CHECK(model->version() == "v2");
  CHECK(model->parent_version() == "v1");
  CHECK(model->Predict("set an alarm for seven").label == "alarm");
  CHECK(model->Predict("book a flight to paris").label == "travel");
  CHECK(model->Predict("check my bank balance").label == "banking");
}

TEST_CASE("replay_fraction 0 trains on the new rows only") {
  TrainerFixture f;
  auto o = f.Options();
  o.replay_fraction = 0;
  auto stats = RunBuiltinTraining(o, nullptr);
  REQUIRE(stats.ok());
  CHECK(stats->replay_rows == 0);
}

TEST_CASE("refit writes a holdout model without the validation rows and deploys one trained on every row") {
  TrainerFixture f;
  auto o = f.Options();
  const fs::path holdout = f.dir.path() / "v2-holdout.kzm";
  o.holdout_output_path = holdout.string();
  double last_fraction = -1;
  bool monotone = true;
  auto stats = RunBuiltinTraining(o, [&](double fraction, double, const std::string&) {
    monotone &= fraction >= last_fraction;
    last_fraction = fraction;
  });
  REQUIRE(stats.ok());
  CHECK(stats->refit);
  CHECK(stats->holdout_train_rows == 24);  // the judged model never sees the 6 validation rows
  CHECK(stats->holdout_replay_rows == 24);
  CHECK(stats->train_rows == 30);          // the deployed one is trained on all 30
  CHECK(stats->replay_rows == 30);
  CHECK(monotone);
  CHECK(last_fraction == 1.0);
  auto judged = models::TextClassifier::Load(holdout.string());
  auto deployed = models::TextClassifier::Load(f.out.string());
  REQUIRE(judged.ok());
  REQUIRE(deployed.ok());
  CHECK(judged->version() == "v2");
  CHECK(deployed->version() == "v2");
  CHECK(judged->Predict("set an alarm for seven").label == "alarm");
  CHECK(deployed->Predict("set an alarm for seven").label == "alarm");
  // Different training rows, different weights: two files.
  std::ifstream a(holdout, std::ios::binary), b(f.out, std::ios::binary);
  std::string sa((std::istreambuf_iterator<char>(a)), {}), sb((std::istreambuf_iterator<char>(b)), {});
  CHECK(sa != sb);
}

TEST_CASE("refit without validation rows makes one model and no holdout file") {
  TrainerFixture f;
  std::vector<json> rows;
  for (int i = 0; i < 10; ++i) {
    rows.push_back({{"text", "set an alarm " + std::to_string(i)}, {"label", "alarm"}, {"split", "train"}});
  }
  Write(f.dataset, rows);
  auto o = f.Options();
  const fs::path holdout = f.dir.path() / "none.kzm";
  o.holdout_output_path = holdout.string();
  auto stats = RunBuiltinTraining(o, nullptr);
  REQUIRE(stats.ok());
  CHECK_FALSE(stats->refit);
  CHECK(stats->train_rows == 10);
  CHECK_FALSE(fs::exists(holdout));
  CHECK(fs::exists(f.out));
}

TEST_CASE("a missing dataset or base model is a clear error") {
  TrainerFixture f;
  auto o = f.Options();
  o.dataset_path = (f.dir.path() / "nope.jsonl").string();
  auto stats = RunBuiltinTraining(o, nullptr);
  REQUIRE_FALSE(stats.ok());
  CHECK(stats.status().message().find("loading dataset") != std::string::npos);
  CHECK(stats.status().message().find("nope.jsonl") != std::string::npos);
  CHECK_FALSE(fs::exists(f.out));

  o = f.Options();
  o.base_path = (f.dir.path() / "missing.kzm").string();
  stats = RunBuiltinTraining(o, nullptr);
  REQUIRE_FALSE(stats.ok());
  CHECK(stats.status().message().find("loading base model") != std::string::npos);
}

TEST_CASE("a dataset without train rows is an error") {
  TrainerFixture f;
  Write(f.dataset, {json{{"text", "x"}, {"label", "y"}, {"split", "validation"}}});
  auto stats = RunBuiltinTraining(f.Options(), nullptr);
  REQUIRE_FALSE(stats.ok());
  CHECK(stats.status().message().find("no rows with split \"train\"") != std::string::npos);
}

// Runs a command, returning its exit code and stdout.
std::pair<int, std::string> Run(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p);
  char buf[4096];
  while (std::fgets(buf, sizeof buf, p)) out += buf;
  int st = ::pclose(p);
  return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, out};
}

TEST_CASE("kaizen train-model prints progress and a result, and exits 1 on errors") {
  TrainerFixture f;
  const std::string bin = KAIZEN_BINARY;
  std::string cmd = bin + " train-model --base " + f.base.string() + " --dataset " + f.dataset.string() +
                    " --replay-data " + f.replay.string() + " --replay-split train --replay-domains travel,banking" +
                    " --replay-fraction 0.5 --epochs 3 --version v2 --output " + f.out.string() + " 2>&1";
  auto [code, out] = Run(cmd);
  INFO(out);
  CHECK(code == 0);
  CHECK(out.find("progress 0.3300 loss ") != std::string::npos);
  CHECK(out.find(" epoch 1/3\n") != std::string::npos);
  CHECK(out.find("progress 1.0000 loss ") != std::string::npos);
  auto r = out.find("result {");
  REQUIRE(r != std::string::npos);
  auto result = json::parse(out.substr(r + 7, out.find('\n', r) - r - 7));
  CHECK(result["train_rows"] == 24);
  CHECK(result["replay_rows"] == 24);
  CHECK(result["epochs"] == 3);
  CHECK(fs::exists(f.out));

  auto [bad, err] = Run(bin + " train-model --base " + f.base.string() + " --dataset /nonexistent.jsonl" +
                        " --version v3 --output " + (f.dir.path() / "v3.kzm").string() + " 2>&1");
  INFO(err);
  CHECK(bad == 1);
  CHECK(err.find("/nonexistent.jsonl") != std::string::npos);
}

}  // namespace
}  // namespace kaizen::agents
