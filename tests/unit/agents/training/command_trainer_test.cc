// The command backend with real shell scripts standing in for a user's
// fine-tuning script: real child processes, real files, real signals.
#include "agents/training/command_trainer.h"

#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "agents/models/text_classifier.h"
#include "agents/training/progress_line.h"
#include "agents/training/trainer_process.h"
#include "tests/support/temp_dir.h"

namespace kaizen::agents {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string WriteScript(const fs::path& p, const std::string& body) {
  std::ofstream(p) << "#!/bin/sh\n" << body;
  fs::permissions(p, fs::perms::owner_all);
  return p.string();
}

// A dataset like datagen writes: 8 train rows and 2 validation rows.
struct ScriptFixture {
  testing::TempDir dir{"cmdtrain"};
  fs::path dataset = dir.path() / "dataset.jsonl", base = dir.path() / "base.kzm";
  ScriptFixture() {
    std::ofstream out(dataset);
    for (int i = 0; i < 10; ++i) {
      out << json{{"text", "set an alarm for " + std::to_string(i)}, {"label", "alarm"},
                  {"split", i % 5 == 0 ? "validation" : "train"}}
                 .dump()
          << "\n";
    }
    out << "not json\n";
    std::ofstream(base) << "base model bytes";
  }
  CommandJobInput Input(const std::string& command) const {
    CommandJobInput in;
    in.command_template = command;
    in.base_model_path = base.string();
    in.base_version = "v1";
    in.dataset_path = dataset.string();
    in.output_version = "v2";
    in.cycle_id = "cyc-1";
    in.work_dir = (dir.path() / "work").string();
    in.epochs = 3;
    return in;
  }
};

struct Outcome {
  TrainerProcess::State state;
  std::vector<ProgressUpdate> progress;
  json result;
  std::unique_ptr<TrainerProcess> process;
};

// Runs the job to its end, polling as the agent does.
Outcome RunJob(const CommandJob& job, const std::string& log, int64_t timeout_ms) {
  auto p = TrainerProcess::Start(job.argv, log, timeout_ms);
  REQUIRE(p.ok());
  Outcome o;
  o.process = std::move(*p);
  auto on_line = [&](const std::string& line) {
    if (auto r = ParseResultLine(line)) o.result = *r;
    if (auto u = ParseProgressLine(line)) o.progress.push_back(*u);
  };
  for (int i = 0; i < 600; ++i) {  // 60 s: a safety net, never reached on the happy path
    o.state = o.process->Poll(on_line);
    if (o.state != TrainerProcess::State::kRunning) return o;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  FAIL("the job did not end");
  return o;
}

bool Alive(pid_t pid) { return ::kill(pid, 0) == 0; }

}  // namespace

TEST_CASE("placeholders are replaced by quoted words, while ${VAR} and braces that are no placeholder stay", "[training]") {
  auto s = ExpandCommandTemplate("train.sh --in {dataset} --out {output_dir} --home ${HOME} | awk '{print}' {x",
                                 {{"dataset", "/data/my set's.jsonl"}, {"output_dir", "/o"}});
  REQUIRE(s.ok());
  CHECK(*s == "train.sh --in '/data/my set'\\''s.jsonl' --out '/o' --home ${HOME} | awk '{print}' {x");
  auto dq = ExpandCommandTemplate("run --out=\"{output_dir}/m\" '{dataset}'", {{"dataset", "d"}, {"output_dir", "/a \"b$"}});
  REQUIRE(dq.ok());
  CHECK(*dq == "run --out=\"/a \\\"b\\$/m\" '{dataset}'");
  auto bad = ExpandCommandTemplate("train.sh {base_modle}", {{"base_model", "/m"}});
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().find("unknown placeholder {base_modle}") != std::string::npos);
  CHECK(bad.status().message().find("{base_model}") != std::string::npos);  // the known ones are listed
}

TEST_CASE("a training script gets its inputs, reports progress and its model is found in output_dir", "[training]") {
  ScriptFixture f;
  const std::string script = WriteScript(f.dir.path() / "finetune.sh", R"(
base="$1"; train="$2"; validation="$3"; out="$4"; epochs="$5"; version="$6"
echo "loading $base"
echo "progress 0.1 loading"
for e in 1 2 3; do
  echo "progress 0.$((e * 3)) loss=0.$((4 - e)) epoch $e/$epochs"
done
echo '{"progress": 1.0, "loss": 0.05, "message": "saved"}'
{ cat "$base"; echo; wc -l < "$train"; wc -l < "$validation"; echo "$version"; } > "$out/adapter.safetensors"
echo 'result {"final_loss": 0.05, "eval_accuracy": 0.9}'
echo "a warning on stderr" >&2
)");
  auto job = PrepareCommandJob(f.Input(script + " {base_model} {train} {validation} {output_dir} {epochs} {output_version}"));
  REQUIRE(job.ok());
  CHECK(job->train_rows == 8);
  CHECK(job->validation_rows == 2);
  CHECK(job->skipped_rows == 1);
  auto o = RunJob(*job, (f.dir.path() / "train-v2.log").string(), 20000);
  REQUIRE(o.state == TrainerProcess::State::kExited);
  INFO(ReadFile(f.dir.path() / "train-v2.log"));
  REQUIRE(o.process->succeeded());
  REQUIRE(o.progress.size() == 5);
  CHECK(o.progress[0].message == "loading");
  CHECK(o.progress[1].message == "epoch 1/3");
  CHECK(o.progress[3].fraction == Approx(0.9));
  CHECK(*o.progress[3].loss == Approx(0.1));
  CHECK(o.progress[4].fraction == 1.0);
  CHECK(o.result["eval_accuracy"] == 0.9);
  auto model = FindCommandOutput(job->output_dir, o.result);
  REQUIRE(model.ok());
  CHECK(ArtifactExtension(*model) == "safetensors");
  CHECK(ReadFile(*model) == "base model bytes\n8\n2\nv2\n");
  // stdout and stderr both end up in the log.
  CHECK(ReadFile(f.dir.path() / "train-v2.log").find("a warning on stderr") != std::string::npos);
}

TEST_CASE("a failing script ends with its exit code and its last log lines", "[training]") {
  ScriptFixture f;
  const std::string script = WriteScript(f.dir.path() / "fail.sh", R"(
for i in 1 2 3 4 5 6 7; do echo "line $i"; done
echo "CUDA out of memory" >&2
exit 3
)");
  auto job = PrepareCommandJob(f.Input(script));
  REQUIRE(job.ok());
  auto o = RunJob(*job, (f.dir.path() / "train.log").string(), 20000);
  REQUIRE(o.state == TrainerProcess::State::kExited);
  CHECK_FALSE(o.process->succeeded());
  CHECK(o.process->DescribeExit() == "exited with code 3");
  auto tail = o.process->Tail();
  REQUIRE(tail.size() == 5);
  CHECK(tail.front() == "line 4");
  CHECK(tail.back() == "CUDA out of memory");
}

TEST_CASE("a script running past its timeout is killed with the processes it started", "[training]") {
  ScriptFixture f;
  const fs::path pid_file = f.dir.path() / "child.pid";
  const std::string script = WriteScript(f.dir.path() / "hang.sh", "sleep 60 &\necho $! > " + pid_file.string() +
                                                                     "\necho \"progress 0.1 started\"\nwait\n");
  auto job = PrepareCommandJob(f.Input(script));
  REQUIRE(job.ok());
  auto o = RunJob(*job, (f.dir.path() / "train.log").string(), 500);
  CHECK(o.state == TrainerProcess::State::kTimedOut);
  CHECK(o.process->DescribeExit() == "ran past its timeout and was killed");
  REQUIRE(o.progress.size() == 1);
  pid_t child = std::stoi(ReadFile(pid_file));
  // The sleep was in the script's process group: killed with it (reaped by init).
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    gone = !Alive(child) || ReadFile("/proc/" + std::to_string(child) + "/stat").find(") Z") != std::string::npos;
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK(gone);
}

TEST_CASE("the output contract: no file, several files, and a result line naming the model", "[training]") {
  ScriptFixture f;
  auto job = PrepareCommandJob(f.Input("true"));
  REQUIRE(job.ok());
  auto none = FindCommandOutput(job->output_dir, nullptr);
  REQUIRE_FALSE(none.ok());
  CHECK(none.status().message().find("wrote no file in {output_dir}") != std::string::npos);

  const std::string script = WriteScript(f.dir.path() / "many.sh", R"(
mkdir -p "$1/ckpt"; echo a > "$1/ckpt/adapter.bin"; echo b > "$1/config.json"
)");
  job = PrepareCommandJob(f.Input(script + " {output_dir}"));
  REQUIRE(job.ok());
  auto o = RunJob(*job, (f.dir.path() / "train.log").string(), 20000);
  REQUIRE(o.process->succeeded());
  auto many = FindCommandOutput(job->output_dir, nullptr);
  REQUIRE_FALSE(many.ok());
  CHECK(many.status().message().find("left 2 files") != std::string::npos);
  CHECK(many.status().message().find("ckpt/adapter.bin") != std::string::npos);
  auto named = FindCommandOutput(job->output_dir, json{{"model_file", "ckpt/adapter.bin"}});
  REQUIRE(named.ok());
  CHECK(ReadFile(*named) == "a\n");
  auto outside = FindCommandOutput(job->output_dir, json{{"model_file", "../train.jsonl"}});
  REQUIRE_FALSE(outside.ok());
  CHECK(outside.status().message().find("outside {output_dir}") != std::string::npos);
  CHECK_FALSE(FindCommandOutput(job->output_dir, json{{"model_file", "nope.bin"}}).ok());
}

TEST_CASE("a script wrapping `kaizen train-model` produces a model the worker can load", "[training]") {
  ScriptFixture f;
  std::vector<models::Example> examples;
  for (int i = 0; i < 20; ++i) {
    examples.push_back({"book a flight " + std::to_string(i), "travel"});
    examples.push_back({"check my balance " + std::to_string(i), "banking"});
  }
  auto base = models::TextClassifier::Train(examples, models::TrainOptions{});
  REQUIRE(base.ok());
  REQUIRE(base->Save(f.base.string(), "v1").ok());
  const std::string command = std::string(KAIZEN_BINARY) +
                              " train-model --base {base_model} --dataset {dataset} --version {output_version}"
                              " --epochs {epochs} --replay-fraction 0 --output {output_dir}/model.kzm";
  auto job = PrepareCommandJob(f.Input(command));
  REQUIRE(job.ok());
  auto o = RunJob(*job, (f.dir.path() / "train.log").string(), 60000);
  INFO(ReadFile(f.dir.path() / "train.log"));
  REQUIRE(o.process->succeeded());
  CHECK(o.progress.size() >= 3);  // loading + one per epoch
  CHECK(o.result["train_rows"] == 8);
  auto path = FindCommandOutput(job->output_dir, o.result);
  REQUIRE(path.ok());
  auto model = models::TextClassifier::Load(*path);
  REQUIRE(model.ok());
  CHECK(model->Predict("set an alarm for 3").label == "alarm");
}

}  // namespace kaizen::agents
