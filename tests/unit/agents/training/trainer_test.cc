// The Trainer interface through the command backend (a real child process per
// attempt), and TrainingSettings against the manifest schema.
#include "agents/training/trainer.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "config/manifest_schema.h"
#include "tests/support/temp_dir.h"

namespace kaizen::agents {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

struct Events {
  std::vector<ProgressUpdate> progress;
  std::vector<std::string> notes;
  TrainEvents sink() {
    return {[this](const ProgressUpdate& u) { progress.push_back(u); },
            [this](const std::string& d) { notes.push_back(d); }};
  }
};

struct TrainerRun {
  testing::TempDir dir{"trainer"};
  TrainerLeftovers leftovers;
  TrainJob job;
  Events events;

  TrainerRun() {
    const std::string data = dir.file("data.jsonl");
    std::ofstream(data) << R"({"text": "a", "label": "x", "split": "train"})" << "\n"
                        << R"({"text": "b", "label": "y", "split": "validation"})" << "\n";
    std::ofstream(dir.file("base.bin")) << "base";
    job.cycle_id = "c1";
    job.base_version = "v1";
    job.base_path = dir.file("base.bin");
    job.dataset_path = data;
    job.output_version = "v2";
    job.log_path = dir.file("logs/train-v2.log");
    job.state_dir = dir.path().string();
  }

  static TrainingSettings Command(const std::string& command, int64_t timeout_s = 60, int retries = 1) {
    TrainingSettings s = TrainingSettings::FromAgentSettings(json{{"backend", "command"}, {"command", command}});
    s.timeout_s = timeout_s;
    s.retries = retries;
    return s;
  }

  Trainer::State Wait(Trainer& t) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    Trainer::State state = Trainer::State::kRunning;
    while ((state = t.Poll(events.sink())) == Trainer::State::kRunning && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return state;
  }
  std::size_t WorkDirs() const {
    std::size_t n = 0;
    std::error_code ec;
    if (fs::exists(dir.path() / "training", ec)) {
      for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir.path() / "training")) ++n;
    }
    return n;
  }
};

}  // namespace

TEST_CASE("training settings: an empty section reads the schema's defaults", "[training][settings]") {
  const TrainingSettings s = TrainingSettings::FromAgentSettings(json::object());
  CHECK(TrainingBackendName(s.backend) == config::SchemaDefault("spec.training.backend").get<std::string>());
  CHECK(s.epochs == config::SchemaDefault("spec.training.epochs").get<int>());
  CHECK(s.replay_fraction == config::SchemaDefault("spec.training.replay_fraction").get<double>());
  CHECK(s.refit == config::SchemaDefault("spec.training.refit").get<bool>());
  CHECK(s.timeout_s == config::SchemaDefault("spec.training.timeout_s").get<int64_t>());
  CHECK(s.retries == config::SchemaDefault("spec.training.retries").get<int>());
  CHECK_FALSE(s.replay.has_value());
}

TEST_CASE("training settings: the slurm backend's sections read the schema's defaults when empty",
          "[training][settings]") {
  const TrainingSettings s = TrainingSettings::FromAgentSettings(json{{"backend", "slurm"}});
  CHECK(s.backend == TrainingBackend::kSlurm);
  CHECK(std::string(TrainingBackendName(s.backend)) == "slurm");
  const std::string trainer = config::SchemaDefault("spec.training.slurm.trainer").get<std::string>();
  CHECK(s.slurm.trainer == (trainer == "command" ? SlurmTrainerKind::kCommand : SlurmTrainerKind::kBuiltin));
  CHECK(s.slurm.cpus == config::SchemaDefault("spec.training.slurm.cpus").get<int>());
  CHECK(s.slurm.mem == config::SchemaDefault("spec.training.slurm.mem").get<std::string>());
  CHECK(s.slurm.gres == config::SchemaDefault("spec.training.slurm.gres").get<std::string>());
  CHECK(s.slurm.time_limit == config::SchemaDefault("spec.training.slurm.time_limit").get<std::string>());
  CHECK(s.slurm_cluster.partition == config::SchemaDefault("spec.slurm.partition").get<std::string>());
  CHECK(s.slurm_cluster.account == config::SchemaDefault("spec.slurm.account").get<std::string>());
  CHECK(s.slurm_cluster.time_limit == config::SchemaDefault("spec.slurm.time_limit").get<std::string>());
  CHECK(s.slurm_cluster.poll_interval_ms == config::SchemaDefault("spec.slurm.poll_interval_ms").get<int64_t>());
  CHECK(s.slurm_cluster.extra_args ==
        config::SchemaDefault("spec.slurm.extra_args").get<std::vector<std::string>>());
}

TEST_CASE("training settings: the slurm sections' set keys, and spec.slurm from the cluster", "[training][settings]") {
  const json settings = {
      {"backend", "slurm"},
      {"slurm", {{"trainer", "command"}, {"cpus", 8}, {"mem", "16G"}, {"gres", "gpu:2"}, {"time_limit", "2:00:00"}}},
      {"cluster",
       {{"name", "prod"},
        {"spec",
         {{"slurm",
           {{"partition", "gpu"}, {"account", "ml"}, {"poll_interval_ms", 250}, {"extra_args", {"--qos=high"}}}}}}}}};
  const TrainingSettings s = TrainingSettings::FromAgentSettings(settings);
  CHECK(s.slurm.trainer == SlurmTrainerKind::kCommand);
  CHECK(s.slurm.cpus == 8);
  CHECK(s.slurm.mem == "16G");
  CHECK(s.slurm.gres == "gpu:2");
  CHECK(s.slurm.time_limit == "2:00:00");
  CHECK(s.slurm_cluster.partition == "gpu");
  CHECK(s.slurm_cluster.account == "ml");
  CHECK(s.slurm_cluster.poll_interval_ms == 250);
  CHECK(s.slurm_cluster.extra_args == std::vector<std::string>{"--qos=high"});
  CHECK(s.cluster_name == "prod");
}

TEST_CASE("training settings: set keys win, and the replay source is resolved from the cluster spec",
          "[training][settings]") {
  const json settings = {
      {"backend", "prompt"},
      {"epochs", 9},
      {"cluster",
       {{"spec",
         {{"data", {{"intents", {{"path", "/data/intents.jsonl"}}}}},
          {"worker", {{"skill", {{"train", {{"dataset", "intents"}, {"split", "train"}, {"domains", {"banking"}}}}}}}}}}}}};
  const TrainingSettings s = TrainingSettings::FromAgentSettings(settings);
  CHECK(s.backend == TrainingBackend::kPrompt);
  CHECK(s.epochs == 9);
  REQUIRE(s.replay.has_value());
  CHECK(s.replay->path == "/data/intents.jsonl");
  CHECK(s.replay->split == "train");
  CHECK(s.replay->domains == std::vector<std::string>{"banking"});
}

TEST_CASE("trainer: a command's progress becomes events and its model is collected, its scratch removed",
          "[training][trainer]") {
  TrainerRun r;
  auto trainer = MakeTrainer(
      TrainerRun::Command("echo 'progress 0.5 loss 0.25 half way'; echo model > {output_dir}/m.safetensors; "
                   "echo 'result {\"eval_accuracy\": 0.9}'"),
      r.leftovers);
  REQUIRE(trainer->Start(r.job).ok());
  REQUIRE(r.Wait(*trainer) == Trainer::State::kSucceeded);
  REQUIRE(r.events.progress.size() == 1);
  CHECK(r.events.progress[0].fraction == Approx(0.5));
  CHECK(r.events.progress[0].loss == Approx(0.25));
  auto model = trainer->Collect();
  REQUIRE(model.ok());
  CHECK(model->ext == "safetensors");
  CHECK(model->metrics["eval_accuracy"] == 0.9);
  CHECK(model->metrics["train_rows"] == 1);
  CHECK(model->metrics["validation_rows"] == 1);
  CHECK(model->metrics["last_progress"]["loss"] == 0.25);
  CHECK(model->metrics["parameters"] == json{{"epochs", 5}});  // the knobs the run used (training.epochs)
  REQUIRE(fs::exists(model->path));
  CHECK(r.WorkDirs() == 1);
  trainer.reset();
  CHECK(r.WorkDirs() == 0);
}

TEST_CASE("trainer: a run killed from outside starts again, and a second kill past the retries fails",
          "[training][trainer]") {
  TrainerRun r;
  const std::string marker = r.dir.file("killed-once");
  // Kills itself the first time only, as the OOM killer would.
  const std::string once = "if [ ! -f " + marker + " ]; then touch " + marker +
                           "; kill -KILL $$; fi; echo m > {output_dir}/m.bin";
  SECTION("within the retries: the second attempt's model") {
    auto trainer = MakeTrainer(TrainerRun::Command(once, 60, 1), r.leftovers);
    REQUIRE(trainer->Start(r.job).ok());
    REQUIRE(r.Wait(*trainer) == Trainer::State::kSucceeded);
    CHECK(trainer->attempts() == 2);
    CHECK(r.events.notes == std::vector<std::string>{"training v2: restarted (attempt 2)"});
    CHECK(trainer->Collect().ok());
  }
  SECTION("no retries: a failure naming the signal") {
    auto trainer = MakeTrainer(TrainerRun::Command(once, 60, 0), r.leftovers);
    REQUIRE(trainer->Start(r.job).ok());
    REQUIRE(r.Wait(*trainer) == Trainer::State::kFailed);
    CHECK_THAT(trainer->Failure().message(), Catch::Contains("the trainer for v2 was killed by signal 9"));
  }
}

TEST_CASE("trainer: a failing command reports its exit and last lines, and keeps its work dir",
          "[training][trainer]") {
  TrainerRun r;
  auto trainer = MakeTrainer(TrainerRun::Command("echo 'out of memory at step 3'; exit 3"), r.leftovers);
  REQUIRE(trainer->Start(r.job).ok());
  REQUIRE(r.Wait(*trainer) == Trainer::State::kFailed);
  const std::string why = trainer->Failure().message();
  CHECK_THAT(why, Catch::Contains("exited with code 3"));
  CHECK_THAT(why, Catch::Contains("out of memory at step 3"));
  trainer.reset();
  CHECK(r.WorkDirs() == 1);
}

TEST_CASE("trainer: a run past training.timeout_s is stopped and fails", "[training][trainer]") {
  TrainerRun r;
  auto trainer = MakeTrainer(TrainerRun::Command("sleep 30", /*timeout_s=*/1), r.leftovers);
  REQUIRE(trainer->Start(r.job).ok());
  REQUIRE(r.Wait(*trainer) == Trainer::State::kFailed);
  CHECK_THAT(trainer->Failure().message(), Catch::Contains("took longer than training.timeout_s (1 s)"));
}

TEST_CASE("trainer: a template with an unknown placeholder is refused as a bad request", "[training][trainer]") {
  TrainerRun r;
  auto trainer = MakeTrainer(TrainerRun::Command("train {nonsense}"), r.leftovers);
  Status s = trainer->Start(r.job);
  CHECK(s.code() == Status::Code::kInvalidArgument);
}

}  // namespace kaizen::agents
