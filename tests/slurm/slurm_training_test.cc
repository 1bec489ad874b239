// The slurm training backend through the real test cluster: a builtin model
// trained as a Slurm batch job, and a job cancelled from outside until the
// run gives up. After each, Slurm has no job of it left.
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "agents/models/text_classifier.h"
#include "agents/training/trainer.h"
#include "runtime/base/ids.h"
#include "tests/slurm/slurm_test_cluster.h"
#include "tests/support/temp_dir.h"

namespace kaizen::agents {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// A base model (travel vs banking) and a dataset with a label it never saw.
struct SlurmTrainingFixture {
  testing::TempDir dir{"slurm-training"};
  std::string cluster = "slurmtest-" + NewId();
  TrainJob job;
  TrainerLeftovers leftovers;
  std::vector<std::string> notes;
  std::vector<ProgressUpdate> progress;

  SlurmTrainingFixture() {
    std::vector<models::Example> examples;
    for (int i = 0; i < 20; ++i) {
      examples.push_back({"book a flight to paris " + std::to_string(i), "travel"});
      examples.push_back({"check my bank balance " + std::to_string(i), "banking"});
    }
    auto model = models::TextClassifier::Train(examples, models::TrainOptions{});
    REQUIRE(model.ok());
    REQUIRE(model->Save(dir.file("base.kzm"), "v1").ok());
    std::ofstream data(dir.file("data.jsonl"));
    for (int i = 0; i < 20; ++i) {
      data << json{{"text", "set an alarm for seven " + std::to_string(i)},
                   {"label", "alarm"},
                   {"split", i % 5 == 0 ? "validation" : "train"}}
                  .dump()
           << "\n";
    }
    job.cycle_id = "c1";
    job.base_version = "v1";
    job.base_path = dir.file("base.kzm");
    job.dataset_path = dir.file("data.jsonl");
    job.output_version = "v2";
    job.log_path = dir.file("logs/train-v2.log");
    job.state_dir = dir.path().string();
  }

  TrainingSettings Settings(const json& slurm_section, const std::string& command = "") const {
    json s = {{"backend", "slurm"},
              {"epochs", 2},
              {"timeout_s", 120},
              {"retries", 1},
              {"slurm", slurm_section},
              {"cluster",
               {{"name", cluster}, {"state_dir", job.state_dir}, {"spec", {{"slurm", {{"poll_interval_ms", 100}}}}}}}};
    if (!command.empty()) s["command"] = command;
    TrainingSettings t = TrainingSettings::FromAgentSettings(s);
    t.kaizen_executable = KAIZEN_BINARY;  // this test's process is not kaizen
    return t;
  }
  std::string Comment() const { return slurm::KaizenJobComment(cluster, job.state_dir, "training"); }
  TrainEvents Events() {
    return {[this](const ProgressUpdate& u) { progress.push_back(u); },
            [this](const std::string& d) { notes.push_back(d); }};
  }
  bool Noted(const std::string& text) const {
    for (const auto& n : notes) {
      if (n.find(text) != std::string::npos) return true;
    }
    return false;
  }
  // Polls as the agent does (every 100 ms) until `until` holds or the run ends.
  Trainer::State PollWhile(Trainer& t, const std::function<bool()>& until, int timeout_s = 120) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
    Trainer::State s = Trainer::State::kRunning;
    while (std::chrono::steady_clock::now() < end) {
      s = t.Poll(Events());
      if (s != Trainer::State::kRunning || (until && until())) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return s;
  }
  // The one job of this test Slurm still runs or queues ("" when none).
  std::string LiveJob(const slurm::SlurmClient& client) const {
    auto jobs = client.ListByComment(Comment());
    if (!jobs.ok()) return "";
    for (const auto& j : *jobs) {
      if (!slurm::IsFinal(j.state)) return j.id;
    }
    return "";
  }
};

}  // namespace

TEST_CASE("slurm training: a builtin model is trained as a Slurm batch job", "[slurm][training]") {
  slurm::SlurmClient client = slurm::SlurmTestClusterOrSkip();
  SlurmTrainingFixture f;
  auto trainer = MakeTrainer(f.Settings(json{{"trainer", "builtin"}}), f.leftovers);
  REQUIRE(trainer->Start(f.job).ok());
  const Trainer::State state = f.PollWhile(*trainer, nullptr);
  INFO("failure: " << trainer->Failure().message());
  REQUIRE(state == Trainer::State::kSucceeded);
  CHECK(f.Noted("running as Slurm job"));
  CHECK_FALSE(f.progress.empty());  // `kaizen train-model`'s progress lines, read from the job's output
  auto model = trainer->Collect();
  REQUIRE(model.ok());
  CHECK(model->ext == "kzm");
  auto loaded = models::TextClassifier::Load(model->path);
  REQUIRE(loaded.ok());
  CHECK(trainer->attempts() == 1);
  trainer.reset();
  CHECK(f.LiveJob(client).empty());
}

TEST_CASE("slurm training: a job cancelled from outside is retried once, then the run fails naming it",
          "[slurm][training]") {
  slurm::SlurmClient client = slurm::SlurmTestClusterOrSkip();
  SlurmTrainingFixture f;
  auto trainer = MakeTrainer(f.Settings(json{{"trainer", "command"}}, "sleep 300"), f.leftovers);
  REQUIRE(trainer->Start(f.job).ok());
  for (int attempt = 1; attempt <= 2; ++attempt) {
    INFO("attempt " << attempt);
    std::string id;
    REQUIRE(f.PollWhile(*trainer, [&] { return !(id = f.LiveJob(client)).empty(); }, 60) == Trainer::State::kRunning);
    REQUIRE_FALSE(id.empty());
    REQUIRE(client.Cancel(id).ok());  // an operator's scancel
    if (attempt == 1) {
      REQUIRE(f.PollWhile(*trainer, [&] { return f.Noted("restarted (attempt 2)"); }, 60) ==
              Trainer::State::kRunning);
    }
  }
  REQUIRE(f.PollWhile(*trainer, nullptr, 60) == Trainer::State::kFailed);
  CHECK_THAT(trainer->Failure().message(), Catch::Contains("was cancelled (not by Kaizen)"));
  CHECK(trainer->attempts() == 2);
  trainer.reset();
  CHECK(f.LiveJob(client).empty());
}

TEST_CASE("slurm training: dropping a run cancels its job", "[slurm][training]") {
  slurm::SlurmClient client = slurm::SlurmTestClusterOrSkip();
  SlurmTrainingFixture f;
  auto trainer = MakeTrainer(f.Settings(json{{"trainer", "command"}}, "sleep 300"), f.leftovers);
  REQUIRE(trainer->Start(f.job).ok());
  std::string id;
  REQUIRE(f.PollWhile(*trainer, [&] { return !(id = f.LiveJob(client)).empty(); }, 60) == Trainer::State::kRunning);
  trainer.reset();  // the cycle was aborted
  CHECK(f.LiveJob(client).empty());
  auto j = client.Query(id);
  REQUIRE(j.ok());
  CHECK(j->state == slurm::JobState::kCancelled);
}

}  // namespace kaizen::agents
