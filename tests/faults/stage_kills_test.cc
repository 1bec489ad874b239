// Fault injection at the short stages of the cycle: training (the trainer
// child, the training agent, the runtime), evaluation (the evaluation agent,
// the runtime) and the A/B rollout (the runtime). Training and evaluation
// last well under a second in the test scenario, so a test does not try to
// hit them by polling `kaizen status`: it watches /proc for the trainer child
// (every 2 ms) and freezes the process it means to kill with SIGSTOP, so the
// stage cannot finish before the kill lands. Each test prints what it killed,
// when, the cycle's stages and the task accounting.
#include <signal.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>

#include "tests/faults/fault_helpers.h"
#include "tests/integration/cluster_harness.h"

using namespace kaizen::testing;
using json = nlohmann::json;

namespace {

// The reduced scenario; `training` is appended under spec.
std::string Manifest(const std::string& name, const std::string& training = "", int total_tasks = 5000) {
  std::string m = ScenarioManifest(name, 0.0, 300, total_tasks);
  // A frozen agent must not be taken for a hung one before the test kills it
  // (10 s of missed heartbeats instead of 2; nothing here hangs for real).
  const std::string hb = "heartbeat: {interval_ms: 200, liveness: 10}";
  m.replace(m.find(hb), hb.size(), "heartbeat: {interval_ms: 200, liveness: 50}");
  if (!training.empty()) m += "  training: " + training + "\n";
  return m;
}

// Up, with every agent registered; returns the training agent's pid.
pid_t Start(TestCluster& c) {
  REQUIRE(c.Up().exit_code == 0);
  REQUIRE(WaitFor([&] { return PidOf(c, "training") > 0 && PidOf(c, "evaluation") > 0; }, 30000));
  return PidOf(c, "training");
}

// The trainer child of `training`, frozen the moment it appears, and the
// training progress the runtime had seen by then.
pid_t FreezeTrainer(TestCluster& c, pid_t training) {
  pid_t child = WaitForChild(training, 120000);
  REQUIRE(child > 0);
  Signal(child, SIGSTOP, "the trainer `kaizen train-model`", "as soon as it started");
  return child;
}

double TrainingProgress(TestCluster& c) {
  json s = c.Status();
  return s.is_object() && s["cycle"].is_object() ? s["cycle"].value("progress", 0.0) : -1.0;
}

void KillRuntimeAndRestart(TestCluster& c, const std::string& when) {
  pid_t runtime = c.RuntimePid();
  Signal(runtime, SIGKILL, "the runtime (kill -9)", when);
  REQUIRE(WaitFor([&] { return c.RuntimeGone(runtime); }, 10000));
  REQUIRE(c.Up().exit_code == 0);
  std::printf("fault: `kaizen up` again on the same state dir\n");
}

// The scenario's end: summary, accounting, one cycle with `outcome`.
json Finish(TestCluster& c, const std::string& name, const std::string& outcome) {
  json s = c.WaitSummary();
  REQUIRE(s.is_object());
  INFO(s.dump(2));
  PrintAccounting(name, s);
  REQUIRE(s["cycles"].size() >= 1);
  const json& cycle = s["cycles"][0];
  std::printf("%s: stages %s; teacher calls %lld\n", name.c_str(), StagePath(cycle).c_str(),
              cycle.value("teacher_calls", -1LL));
  CHECK(cycle["outcome"] == outcome);
  CheckAccounting(s);
  return s;
}

// Nothing finished was done twice: one dataset (one round of teacher calls),
// one trained candidate, one evaluation, one decision.
void CheckDoneOnce(TestCluster& c, const json& summary) {
  const std::string dir = c.state_dir();
  const int datasets = CountEvents(dir, "dataset"), trained = CountEvents(dir, "model", "training"),
            evaluations = CountEvents(dir, "eval_report"), decisions = CountEvents(dir, "rollout"),
            models = CountModels(dir);
  std::printf("journal: %d dataset, %d trained model, %d evaluation, %d rollout decision; registry: %d models\n",
              datasets, trained, evaluations, decisions, models);
  CHECK(datasets == 1);
  CHECK(trained == 1);
  CHECK(evaluations == 1);
  CHECK(decisions == 1);
  CHECK(models == 2);  // v1 and the one candidate
  // What the teacher answered, from its ledger, is what the cycle counts, within the plan's cap.
  CHECK(summary["cycles"][0]["teacher_calls"].get<int64_t>() == TeacherAnswers(dir, "c1"));
  CHECK(TeacherAnswers(dir, "c1") <= 1500);
}

}  // namespace

TEST_CASE("the trainer killed mid-training is started again and the cycle promotes", "[faults]") {
  // Enough epochs that the trainer is still training when the kill lands.
  TestCluster c("fault-trainer");
  std::ofstream(c.manifest_path()) << Manifest("fault-trainer", "{epochs: 60}");
  pid_t training = Start(c);
  pid_t child = FreezeTrainer(c, training);
  // Let it train until the runtime has its first progress report, freeze it
  // again, kill it.
  (void)::kill(child, SIGCONT);
  CHECK(WaitFor([&] { return TrainingProgress(c) > 0.0; }, 10000));
  (void)::kill(child, SIGSTOP);
  double progress = TrainingProgress(c);
  Signal(child, SIGKILL, "the trainer `kaizen train-model`",
         "during training at " + std::to_string(static_cast<int>(progress * 100)) + "%");
  // training.retries (default 1): the agent starts a new trainer from scratch.
  pid_t second = 0;
  CHECK(WaitFor(
      [&] {
        for (pid_t k : ChildrenOf(training))
          if (k != child) second = k;
        return second > 0;
      },
      60000));
  std::printf("trainer killed: a new trainer pid %d was started\n", static_cast<int>(second));
  json s = Finish(c, "trainer killed", "promoted");
  json agent = c.Agent("training");
  CHECK(c.Down().exit_code == 0);
  CHECK(agent["restarts"] == 0);  // the agent itself was never down
  CheckDoneOnce(c, s);
  CheckStore(c.state_dir());
}

TEST_CASE("the training agent killed mid-training is restarted and trains the candidate once", "[faults]") {
  TestCluster c("fault-training");
  std::ofstream(c.manifest_path()) << Manifest("fault-training");
  pid_t training = Start(c);
  pid_t child = FreezeTrainer(c, training);
  Signal(training, SIGKILL, "the training agent", "while its trainer child was running");
  // Its child goes with it (PR_SET_PDEATHSIG), frozen or not.
  CHECK(WaitFor([&] { return !ProcessAlive(child); }, 5000));
  json s = Finish(c, "training agent killed", "promoted");
  json agent = c.Agent("training");
  CHECK(c.Down().exit_code == 0);
  CHECK(agent["restarts"] == 1);
  CheckDoneOnce(c, s);
  CheckStore(c.state_dir());
}

TEST_CASE("the evaluation agent killed mid-evaluation is restarted and decides once", "[faults]") {
  TestCluster c("fault-evaluation");
  std::ofstream(c.manifest_path()) << Manifest("fault-evaluation");
  pid_t training = Start(c);
  pid_t evaluation = PidOf(c, "evaluation");
  // Frozen before the request arrives, so the evaluation cannot finish
  // before the kill; thawed once the stage starts, killed while it works.
  REQUIRE(WaitForChild(training, 120000) > 0);
  Signal(evaluation, SIGSTOP, "the evaluation agent", "while the candidate trained");
  REQUIRE(WaitFor([&] { return Stage(c) == "evaluating"; }, 30000));
  const int64_t cpu0 = CpuMs(evaluation);
  (void)::kill(evaluation, SIGCONT);
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  const int64_t cpu1 = CpuMs(evaluation);
  Signal(evaluation, SIGKILL, "the evaluation agent",
         "during evaluating, " + std::to_string(cpu1 - cpu0) + " ms of CPU into the request");
  // The kill must have landed before the agent reported, or this test would
  // check an ordinary run: a report sent before it would be journaled by now.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  INFO("the kill landed after the evaluation reported: the killed agent finished its work");
  REQUIRE(CountEvents(c.state_dir(), "eval_report") == 0);
  REQUIRE(cpu1 - cpu0 > 0);  // it was working on the request when it died
  json s = Finish(c, "evaluation agent killed", "promoted");
  json agent = c.Agent("evaluation");
  CHECK(c.Down().exit_code == 0);
  CHECK(agent["restarts"] == 1);
  CheckDoneOnce(c, s);
  CheckStore(c.state_dir());
}

TEST_CASE("the runtime killed during training resumes training and makes no second dataset", "[faults]") {
  TestCluster c("fault-rt-training");
  std::ofstream(c.manifest_path()) << Manifest("fault-rt-training");
  pid_t training = Start(c);
  pid_t child = FreezeTrainer(c, training);
  KillRuntimeAndRestart(c, "during training (dataset registered, trainer running)");
  CHECK(WaitFor([&] { return !ProcessAlive(child); }, 5000));
  json s = Finish(c, "runtime killed during training", "promoted");
  CHECK(c.Down().exit_code == 0);
  CheckDoneOnce(c, s);
  CheckStore(c.state_dir());
}

TEST_CASE("the runtime killed during evaluation resumes it and does not train the candidate again", "[faults]") {
  TestCluster c("fault-rt-evaluating");
  std::ofstream(c.manifest_path()) << Manifest("fault-rt-evaluating");
  pid_t training = Start(c);
  pid_t evaluation = PidOf(c, "evaluation");
  REQUIRE(WaitForChild(training, 120000) > 0);
  Signal(evaluation, SIGSTOP, "the evaluation agent", "while the candidate trained");
  REQUIRE(WaitFor([&] { return Stage(c) == "evaluating"; }, 30000));
  REQUIRE(CountModels(c.state_dir()) == 2);  // the candidate is registered
  KillRuntimeAndRestart(c, "during evaluating (candidate registered, its evaluation pending)");
  json s = Finish(c, "runtime killed during evaluation", "promoted");
  CHECK(c.Down().exit_code == 0);
  CheckDoneOnce(c, s);
  CheckStore(c.state_dir());
}

TEST_CASE("the runtime killed during the A/B rollout resumes it and promotes", "[faults]") {
  TestCluster c("fault-rt-rollout");
  // A restarted simulator starts again at task 1 (those answered before the
  // crash are answered from the store, not routed) and does not know a cycle
  // runs: it needs enough new tasks after the restart to finish the A/B test.
  std::ofstream(c.manifest_path()) << Manifest("fault-rt-rollout", "", 8000);
  REQUIRE(c.Up().exit_code == 0);
  REQUIRE(WaitFor([&] { return Stage(c) == "rolling_out"; }, 120000));
  KillRuntimeAndRestart(c, "during rolling_out (A/B split running)");
  json s = Finish(c, "runtime killed during the rollout", "promoted");
  CHECK(c.Down().exit_code == 0);
  CheckDoneOnce(c, s);
  CheckStore(c.state_dir());
}
