// The slurm training backend against a fake Slurm (its commands answered by
// a fake CommandRunner): what it submits, the notes it sends, how each end
// of a job is read, retries after a preemption, cancel on destruction.
#include "agents/training/slurm_trainer_attempt.h"

#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "agents/training/trainer.h"
#include "tests/support/temp_dir.h"

namespace kaizen::agents {
namespace {

using json = nlohmann::json;

// A fake Slurm: sbatch numbers jobs from 42; scontrol answers each job with
// the states scripted for it (one per query, the last repeated); scancel is
// recorded. run_jobs: sbatch also runs the script at once, its output
// appended to --output, as a job would.
struct SlurmTrainFake {
  std::vector<std::vector<std::string>> states_by_job;  // the n-th job's answers ("RUNNING ... NodeList=n1")
  std::map<std::string, std::vector<std::string>> answers;
  std::map<std::string, std::size_t> asked;
  std::vector<std::vector<std::string>> submitted;
  std::vector<std::string> cancelled;
  int unavailable = 0;  // the next queries that find no controller
  int queries = 0;
  bool run_jobs = false;
  std::vector<std::string> listed;  // `scontrol show job -o` of every job

  slurm::CommandRunner Runner() {
    return [this](const std::vector<std::string>& argv, const std::string& input,
                  int64_t) -> Result<slurm::CommandOutput> {
      const std::string& cmd = argv[0];
      if (cmd == "sbatch") {
        const std::string id = std::to_string(42 + submitted.size());
        const std::size_t n = submitted.size();
        answers[id] = n < states_by_job.size() ? states_by_job[n] : states_by_job.back();
        submitted.push_back(argv);
        if (run_jobs) RunScript(argv, input);
        return slurm::CommandOutput{0, id + "\n", ""};
      }
      if (cmd == "scancel") {
        cancelled.push_back(argv.back());
        return slurm::CommandOutput{0, "", ""};
      }
      if (cmd == "scontrol") {
        ++queries;
        if (unavailable > 0) {
          --unavailable;
          return slurm::CommandOutput{1, "", "slurm_load_jobs error: Unable to contact slurm controller (connect failure)\n"};
        }
        if (argv.back() == "-o") {
          std::string all;
          for (const auto& line : listed) all += line + "\n";
          return slurm::CommandOutput{0, all, ""};
        }
        const std::string id = argv.back();
        auto& list = answers[id];
        std::size_t& i = asked[id];
        const std::string state = list[std::min(i, list.size() - 1)];
        ++i;
        return slurm::CommandOutput{0, "JobId=" + id + " JobName=kaizen-train-c1 JobState=" + state + "\n", ""};
      }
      return Status::IOError(cmd + ": not faked");
    };
  }

  static void RunScript(const std::vector<std::string>& argv, const std::string& script) {
    std::string out;
    for (const auto& a : argv) {
      if (a.rfind("--output=", 0) == 0) out = a.substr(9);
    }
    auto run = slurm::SystemCommandRunner();
    auto r = run({"/bin/sh", "-c", "exec /bin/sh -s >>\"$0\" 2>&1", out}, script, 30000);
    REQUIRE(r.ok());
  }

  bool Submitted(std::size_t job, const std::string& arg) const {
    const auto& a = submitted.at(job);
    return std::find(a.begin(), a.end(), arg) != a.end();
  }
};

struct SlurmTrainSetup {
  testing::TempDir dir{"slurm-trainer"};
  TrainJob job;
  std::vector<std::string> notes;
  std::vector<ProgressUpdate> progress;

  SlurmTrainSetup() {
    std::ofstream(dir.file("data.jsonl")) << R"({"text": "a", "label": "x", "split": "train"})" << "\n"
                                          << R"({"text": "b", "label": "y", "split": "validation"})" << "\n";
    std::ofstream(dir.file("base.bin")) << "base";
    job.cycle_id = "c1";
    job.base_version = "v1";
    job.base_path = dir.file("base.bin");
    job.dataset_path = dir.file("data.jsonl");
    job.output_version = "v2";
    job.log_path = dir.file("logs/train-v2.log");
    job.state_dir = dir.path().string();
  }
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
  // The command trainer (spec.training.slurm.trainer: command) as Slurm jobs;
  // queries at every Poll (poll_interval_ms 0 is below the schema's minimum, fine here).
  static TrainingSettings Settings(const std::string& command, int retries = 1) {
    TrainingSettings s = TrainingSettings::FromAgentSettings(
        json{{"backend", "slurm"},
             {"command", command},
             {"timeout_s", 90},
             {"retries", retries},
             {"slurm", {{"trainer", "command"}, {"cpus", 2}, {"mem", "1G"}, {"gres", "gpu:1"}}},
             {"cluster",
              {{"name", "demo"},
               {"state_dir", "/srv/kz state"},
               {"spec", {{"slurm", {{"partition", "train"}, {"account", "ml"}, {"extra_args", {"--qos=low"}}}}}}}}});
    s.slurm_cluster.poll_interval_ms = 0;
    return s;
  }
  Trainer::State PollUntilDone(Trainer& t, int max_polls = 50) {
    Trainer::State s = Trainer::State::kRunning;
    for (int i = 0; i < max_polls && s == Trainer::State::kRunning; ++i) s = t.Poll(Events());
    return s;
  }
};

// A fake clock for one attempt's factory.
struct SlurmTrainClock {
  int64_t now = 1000;
  std::function<int64_t()> Fn() {
    return [this] { return now; };
  }
};

Result<std::unique_ptr<TrainerAttempt>> SlurmTrainStartAttempt(SlurmTrainFake& fake, SlurmTrainSetup& setup,
                                                              SlurmTrainClock& clock, int64_t poll_ms = 1000) {
  SlurmTrainerOptions o;
  o.poll_interval_ms = poll_ms;
  o.now_ms = clock.Fn();
  auto factory = SlurmTrainerAttempts(o, slurm::SlurmClient({}, fake.Runner()));
  return factory(TrainerAttemptRequest{{"/bin/true"}, setup.job, 1, 90, 5});
}

}  // namespace

TEST_CASE("slurm trainer: the job it submits", "[training][slurm]") {
  SlurmTrainFake fake;
  fake.states_by_job = {{"COMPLETED ExitCode=0:0"}};
  SlurmTrainSetup setup;
  auto trainer = MakeSlurmTrainer(SlurmTrainSetup::Settings("true"), fake.Runner());
  REQUIRE(trainer->Start(setup.job).ok());
  REQUIRE(fake.submitted.size() == 1);
  for (const std::string& arg : std::vector<std::string>{
           "--job-name=kaizen-train-c1", "--output=" + setup.job.log_path, "--chdir=" + setup.job.state_dir,
        std::string("--partition=train"), std::string("--account=ml"), std::string("--time=2"),
        std::string("--cpus-per-task=2"), std::string("--mem=1G"), std::string("--gres=gpu:1"),
        std::string("--comment=kaizen:demo:/srv/kz_state:training"), std::string("--open-mode=append"),
        std::string("--no-requeue"), std::string("--qos=low")}) {
    INFO(arg);
    CHECK(fake.Submitted(0, arg));
  }
}

TEST_CASE("slurm trainer: pending with a reason, then running, are notes, completed is collected",
          "[training][slurm]") {
  SlurmTrainFake fake;
  fake.run_jobs = true;  // the script really runs, so the model is there
  fake.states_by_job = {{"PENDING Reason=None", "PENDING Reason=Resources", "PENDING Reason=Resources",
                         "RUNNING Reason=None NodeList=node7", "COMPLETED Reason=None ExitCode=0:0 NodeList=node7"}};
  SlurmTrainSetup setup;
  auto trainer = MakeSlurmTrainer(
      SlurmTrainSetup::Settings("echo 'progress 0.5 loss 0.25 half'; echo model > {output_dir}/m.bin"), fake.Runner());
  REQUIRE(trainer->Start(setup.job).ok());
  REQUIRE(setup.PollUntilDone(*trainer) == Trainer::State::kSucceeded);
  CHECK(setup.Noted("training v2: pending in Slurm (reason: Resources), job 42"));
  CHECK(setup.Noted("training v2: running as Slurm job 42 on node node7"));
  CHECK(setup.notes.size() == 2);  // Reason=None and a repeated reason say nothing new
  REQUIRE(setup.progress.size() == 1);  // read from the job's output, the run's log
  CHECK(setup.progress[0].fraction == Approx(0.5));
  auto model = trainer->Collect();
  REQUIRE(model.ok());
  CHECK(model->ext == "bin");
  trainer.reset();
  CHECK(fake.cancelled.empty());  // it ended: nothing to cancel
}

TEST_CASE("slurm trainer: a job that exits 3 fails the run with its code and log lines", "[training][slurm]") {
  SlurmTrainFake fake;
  fake.run_jobs = true;
  fake.states_by_job = {{"FAILED Reason=NonZeroExitCode ExitCode=3:0 NodeList=node7"}};
  SlurmTrainSetup setup;
  auto trainer = MakeSlurmTrainer(SlurmTrainSetup::Settings("echo 'no GPU here' >&2; exit 3"), fake.Runner());
  REQUIRE(trainer->Start(setup.job).ok());
  REQUIRE(setup.PollUntilDone(*trainer) == Trainer::State::kFailed);
  CHECK_THAT(trainer->Failure().message(), Catch::Contains("Slurm job 42 exited with code 3"));
  CHECK_THAT(trainer->Failure().message(), Catch::Contains("no GPU here"));
  CHECK(fake.submitted.size() == 1);  // an error exit is not retried
  CHECK(trainer->attempts() == 1);
}

TEST_CASE("slurm trainer: Slurm's time limit fails the run saying so", "[training][slurm]") {
  SlurmTrainFake fake;
  fake.states_by_job = {{"TIMEOUT Reason=TimeLimit ExitCode=0:15"}};
  SlurmTrainSetup setup;
  auto trainer = MakeSlurmTrainer(SlurmTrainSetup::Settings("true"), fake.Runner());
  REQUIRE(trainer->Start(setup.job).ok());
  REQUIRE(setup.PollUntilDone(*trainer) == Trainer::State::kFailed);
  CHECK_THAT(trainer->Failure().message(), Catch::Contains("reached Slurm's time limit (--time=2)"));
  CHECK(fake.submitted.size() == 1);
}

TEST_CASE("slurm trainer: a preempted job is submitted again once, then the run fails with Slurm's reason",
          "[training][slurm]") {
  SlurmTrainFake fake;
  fake.states_by_job = {{"RUNNING NodeList=node7", "PREEMPTED Reason=Preempted"}};
  SlurmTrainSetup setup;
  auto trainer = MakeSlurmTrainer(SlurmTrainSetup::Settings("true", /*retries=*/1), fake.Runner());
  REQUIRE(trainer->Start(setup.job).ok());
  REQUIRE(setup.PollUntilDone(*trainer) == Trainer::State::kFailed);
  CHECK(fake.submitted.size() == 2);
  CHECK(trainer->attempts() == 2);
  CHECK(setup.Noted("training v2: restarted (attempt 2)"));
  CHECK_THAT(trainer->Failure().message(), Catch::Contains("Slurm job 43 was preempted (reason: Preempted)"));
  trainer.reset();
  CHECK(fake.cancelled.empty());
}

TEST_CASE("slurm trainer: a job cancelled by someone else is retried, then fails naming it", "[training][slurm]") {
  SlurmTrainFake fake;
  fake.states_by_job = {{"CANCELLED by 0 ExitCode=0:15"}, {"NODE_FAIL Reason=NodeDown"}};
  SlurmTrainSetup setup;
  auto trainer = MakeSlurmTrainer(SlurmTrainSetup::Settings("true", /*retries=*/1), fake.Runner());
  REQUIRE(trainer->Start(setup.job).ok());
  REQUIRE(setup.PollUntilDone(*trainer) == Trainer::State::kFailed);
  CHECK(fake.submitted.size() == 2);
  CHECK_THAT(trainer->Failure().message(), Catch::Contains("Slurm job 43 ended with its node's failure"));
  std::ifstream log(setup.job.log_path);
  std::stringstream text;
  text << log.rdbuf();
  CHECK_THAT(text.str(), Catch::Contains("Slurm job 42 was cancelled (not by Kaizen); starting it again (attempt 2 of 2)"));
}

TEST_CASE("slurm trainer: destroying it cancels a job still queued or running", "[training][slurm]") {
  SlurmTrainFake fake;
  fake.states_by_job = {{"RUNNING NodeList=node7"}};
  SlurmTrainSetup setup;
  auto trainer = MakeSlurmTrainer(SlurmTrainSetup::Settings("true"), fake.Runner());
  REQUIRE(trainer->Start(setup.job).ok());
  CHECK(trainer->Poll(setup.Events()) == Trainer::State::kRunning);
  trainer.reset();
  REQUIRE(fake.cancelled.size() == 1);
  CHECK(fake.cancelled[0] == "42");
}

TEST_CASE("slurm attempt: an unreachable controller is no failure, a note after a few misses", "[training][slurm]") {
  SlurmTrainFake fake;
  fake.states_by_job = {{"RUNNING NodeList=node7", "COMPLETED ExitCode=0:0"}};
  fake.unavailable = 3;
  SlurmTrainSetup setup;
  SlurmTrainClock clock;
  auto attempt = SlurmTrainStartAttempt(fake, setup, clock, /*poll_ms=*/0);
  REQUIRE(attempt.ok());
  std::vector<std::string> notes;
  auto note = [&](const std::string& n) { notes.push_back(n); };
  for (int i = 0; i < 3; ++i) CHECK((*attempt)->Poll(nullptr, note) == TrainerAttempt::State::kRunning);
  REQUIRE(notes.size() == 1);
  CHECK_THAT(notes[0], Catch::Contains("Slurm does not answer (3 tries in a row)"));
  CHECK_THAT(notes[0], Catch::Contains("Unable to contact slurm controller"));
  CHECK((*attempt)->Poll(nullptr, note) == TrainerAttempt::State::kRunning);
  REQUIRE(notes.size() == 3);
  CHECK_THAT(notes[1], Catch::Contains("Slurm answers again"));
  CHECK_THAT(notes[2], Catch::Contains("running as Slurm job 42"));
  CHECK((*attempt)->Poll(nullptr, note) == TrainerAttempt::State::kSucceeded);
}

TEST_CASE("slurm attempt: Slurm is asked once per poll interval, the log read at every poll", "[training][slurm]") {
  SlurmTrainFake fake;
  fake.states_by_job = {{"RUNNING NodeList=node7"}};
  SlurmTrainSetup setup;
  SlurmTrainClock clock;
  auto attempt = SlurmTrainStartAttempt(fake, setup, clock, /*poll_ms=*/1000);
  REQUIRE(attempt.ok());
  std::vector<std::string> lines;
  auto on_line = [&](const std::string& l) { lines.push_back(l); };
  CHECK((*attempt)->Poll(on_line, [](const std::string&) {}) == TrainerAttempt::State::kRunning);
  CHECK(fake.queries == 1);
  std::ofstream(setup.job.log_path, std::ios::app) << "progress 0.1\n";
  clock.now += 500;
  CHECK((*attempt)->Poll(on_line, [](const std::string&) {}) == TrainerAttempt::State::kRunning);
  CHECK(fake.queries == 1);
  CHECK(lines == std::vector<std::string>{"progress 0.1"});
  clock.now += 500;
  CHECK((*attempt)->Poll(on_line, [](const std::string&) {}) == TrainerAttempt::State::kRunning);
  CHECK(fake.queries == 2);
  attempt->reset();
  CHECK(fake.cancelled == std::vector<std::string>{"42"});
}

TEST_CASE("slurm attempt: a refused submission says what Slurm said", "[training][slurm]") {
  SlurmTrainSetup setup;
  SlurmTrainerOptions o;
  o.job.partition = "nope";
  auto runner = [](const std::vector<std::string>&, const std::string&, int64_t) -> Result<slurm::CommandOutput> {
    return slurm::CommandOutput{1, "", "sbatch: error: invalid partition specified: nope\n"};
  };
  auto factory = SlurmTrainerAttempts(o, slurm::SlurmClient({}, runner));
  auto attempt = factory(TrainerAttemptRequest{{"/bin/true"}, setup.job, 1, 90, 5});
  REQUIRE_FALSE(attempt.ok());
  CHECK(attempt.status().code() == Status::Code::kInvalidArgument);
  CHECK_THAT(attempt.status().message(), Catch::Contains("invalid partition specified: nope"));
}

TEST_CASE("slurm trainer: a new training agent cancels the runs an earlier one left behind, and only those",
          "[training][slurm]") {
  SlurmTrainFake fake;
  fake.listed = {"JobId=7 JobName=kaizen-train-c1 JobState=RUNNING Comment=kaizen:demo:/srv/kz_state:training",
                 "JobId=8 JobName=kaizen-train-c0 JobState=COMPLETED Comment=kaizen:demo:/srv/kz_state:training",
                 "JobId=9 JobName=kaizen-train-c1 JobState=RUNNING Comment=kaizen:other:/srv/kz_state:training"};
  REQUIRE(CancelLeftoverTrainingJobs(SlurmTrainSetup::Settings("true"), fake.Runner()).ok());
  CHECK(fake.cancelled == std::vector<std::string>{"7"});
}

}  // namespace kaizen::agents
