// Fault injection: the reduced intent-router scenario with a process killed at
// a chosen stage of the improvement cycle. Each test says what it killed and
// when, and checks the task accounting and the outcome.
#include <signal.h>

#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <string>

#include "runtime/store/store.h"
#include "tests/faults/fault_helpers.h"
#include "tests/integration/cluster_harness.h"

using namespace kaizen::testing;
using json = nlohmann::json;

TEST_CASE("the runtime killed mid-cycle comes back, resumes the cycle and still promotes", "[faults]") {
  TestCluster c("fault-runtime");
  std::ofstream(c.manifest_path()) << ScenarioManifest("fault-runtime", 0.0);
  REQUIRE(c.Up().exit_code == 0);
  KillAt(c, "generating_data", "the runtime", [&] { return c.RuntimePid(); });
  // Its agents die with it (PDEATHSIG); a new runtime on the same state dir.
  const pid_t runtime = c.RuntimePid();
  REQUIRE(WaitFor([&] { return c.RuntimeGone(runtime); }, 10000));
  REQUIRE(c.Up().exit_code == 0);
  json s = c.WaitSummary();
  CHECK(c.Down().exit_code == 0);
  REQUIRE(s.is_object());
  INFO(s.dump(2));
  PrintAccounting("runtime killed", s);
  REQUIRE(s["cycles"].size() >= 1);
  CHECK(s["cycles"][0]["id"] == "c1");
  CHECK(s["cycles"][0]["outcome"] == "promoted");
  // Every answer the teacher gave, whichever datagen process paid for it.
  CHECK(s["cycles"][0]["teacher_calls"].get<int64_t>() == TeacherAnswers(c.state_dir(), "c1"));
  CHECK(TeacherAnswers(c.state_dir(), "c1") <= 1500);
  CheckAccounting(s);
  CheckStore(c.state_dir());
  // Resumed, not redone: the plan made before the kill is the only one, and
  // one dataset, candidate and decision followed it.
  const std::string dir = c.state_dir();
  CHECK(CountEvents(dir, "plan", "", "c1") == 1);
  CHECK(CountEvents(dir, "dataset", "", "c1") == 1);
  CHECK(CountEvents(dir, "model", "training", "c1") == 1);
  CHECK(CountEvents(dir, "rollout", "", "c1") == 1);
}

TEST_CASE("a candidate killed during the A/B test is rolled back while the clone keeps serving", "[faults]") {
  TestCluster c("fault-candidate");
  std::ofstream(c.manifest_path()) << ScenarioManifest("fault-candidate", 0.0);
  REQUIRE(c.Up().exit_code == 0);
  KillAt(c, "rolling_out", "the candidate worker", [&] { return PidOf(c, "worker"); });
  json s = c.WaitSummary();
  CHECK(c.Down().exit_code == 0);
  REQUIRE(s.is_object());
  INFO(s.dump(2));
  PrintAccounting("candidate killed", s);
  REQUIRE(s["cycles"].size() >= 1);
  const json& cy = s["cycles"][0];
  CHECK(cy["outcome"] == "rolled_back");
  CHECK(cy["reason"].get<std::string>().find("crashed") != std::string::npos);
  CHECK(s["serving"] == cy["incumbent"]);
  CheckAccounting(s);
  CheckStore(c.state_dir());
}

TEST_CASE("datagen killed while it collects, and again half way through labeling, pays for no label twice",
          "[faults]") {
  TestCluster c("fault-datagen");
  std::ofstream(c.manifest_path()) << ScenarioManifest("fault-datagen", 0.0);
  // Armed for every agent of this cluster; only a datagen labeling a job for
  // the first time has the point, half way through its teacher calls.
  ::setenv("KAIZEN_TEST_CRASH_AT", "datagen:labeling-half", 1);
  const auto up = c.Up();
  ::unsetenv("KAIZEN_TEST_CRASH_AT");
  REQUIRE(up.exit_code == 0);
  KillAt(c, "generating_data", "datagen", [&] { return PidOf(c, "datagen"); });
  json s = c.WaitSummary();
  json datagen = c.Agent("datagen");
  CHECK(c.Down().exit_code == 0);
  REQUIRE(s.is_object());
  INFO(s.dump(2));
  PrintAccounting("datagen killed twice", s);
  // The kill while collecting, then the crash half way through labeling. (A
  // kill that happens to land while labeling already makes the next process
  // a reuser, which the crash point spares: one restart then.)
  CHECK(datagen["restarts"].get<int>() >= 1);
  CHECK(datagen["restarts"].get<int>() <= 2);
  REQUIRE(s["cycles"].size() >= 1);
  const json& cycle = s["cycles"][0];
  CHECK(cycle["outcome"] == "promoted");
  // What the teacher answered, from its ledger: every paid answer is in the
  // cycle's spend (none lost with the crashed process), none was bought twice
  // (so the plan's cap holds for what was really paid).
  const int answered = TeacherAnswers(c.state_dir(), "c1");
  std::printf("teacher: %d answers paid for, cycle counts %lld\n", answered, cycle.value("teacher_calls", -1LL));
  CHECK(answered > 0);
  CHECK(cycle["teacher_calls"].get<int64_t>() == answered);
  CHECK(answered <= 1500);
  CHECK(CountEvents(c.state_dir(), "dataset", "", "c1") == 1);
  auto store = kaizen::store::Store::Open(c.state_dir() + "/state.db", kaizen::store::Store::Mode::kReadOnly);
  REQUIRE(store.ok());
  auto row = (*store)->GetCycle("c1");
  REQUIRE(row.ok());
  REQUIRE(row->has_value());
  const std::string dataset_id = json::parse((**row).state_json)["dataset"].value("id", "");
  auto dataset = (*store)->GetDataset(dataset_id);
  REQUIRE(dataset.ok());
  REQUIRE(dataset->has_value());
  const json provenance = json::parse((**dataset).provenance_json);
  CHECK(provenance.value("teacher_calls_by_earlier_process", 0) > 0);  // the crashed process's answers were reused
  CHECK(provenance.value("teacher_answers_reused", 0) > 0);
  CheckAccounting(s);
  CheckStore(c.state_dir());
}

TEST_CASE("at 1000 tasks/s, a crashed worker and then a hung clone lose and repeat no task",
          "[faults]") {
  TestCluster c("fault-load");
  std::ofstream(c.manifest_path()) << ScenarioManifest("fault-load", 0.0, 1000, 20000, 8000);
  REQUIRE(c.Up().exit_code == 0);
  // Before any cycle: the worker serves everything.
  REQUIRE(WaitFor([&] { json s = c.Status(); return s.is_object() && s["router"].is_object() &&
                                                   s["router"].value("answered", 0) > 3000; }, 60000));
  pid_t worker = PidOf(c, "worker");
  REQUIRE(worker > 0);
  REQUIRE(::kill(worker, SIGKILL) == 0);
  std::printf("fault: killed the serving worker (pid %d) under load, before the drift\n", static_cast<int>(worker));
  // During the cycle the clone serves everything; it hangs with tasks in
  // flight, misses its heartbeats, is killed and restarted, and its tasks go out again.
  KillAt(c, "generating_data", "the serving clone", [&] {
    // Only once it serves: then it has tasks in flight when it hangs.
    CHECK(WaitFor([&] { json s = c.Status(); return s.is_object() && s["router"].is_object() &&
                                                   s["router"].value("traffic", "") == "all -> worker-clone"; },
                  30000));
    return PidOf(c, "worker-clone");
  }, SIGSTOP);
  json s = c.WaitSummary();
  json router = c.Status()["router"];
  CHECK(c.Down().exit_code == 0);
  REQUIRE(s.is_object());
  INFO(s.dump(2));
  PrintAccounting("worker and clone killed at 1000 tasks/s", s);
  std::printf("router: %s\n", router.dump().c_str());
  CheckAccounting(s);
  CHECK(s["tasks"]["submitted"].get<int64_t>() >= 20000);
  CHECK(router["resent"].get<int64_t>() > 0);
  REQUIRE(s["cycles"].size() >= 1);
  CHECK(s["cycles"][0]["outcome"] == "promoted");
}

TEST_CASE("at 1000 tasks/s, a candidate killed during the A/B test is rolled back and no task is lost or repeated",
          "[faults]") {
  TestCluster c("fault-load-rollback");
  std::ofstream(c.manifest_path()) << ScenarioManifest("fault-load-rollback", 0.0, 1000, 16000, 6000);
  REQUIRE(c.Up().exit_code == 0);
  // The candidate takes 10% of 1000 tasks/s: it has tasks in flight when it dies.
  KillAt(c, "rolling_out", "the candidate worker", [&] { return PidOf(c, "worker"); });
  json s = c.WaitSummary();
  json router = c.Status()["router"];
  CHECK(c.Down().exit_code == 0);
  REQUIRE(s.is_object());
  INFO(s.dump(2));
  PrintAccounting("candidate killed at 1000 tasks/s", s);
  std::printf("router: %s\n", router.dump().c_str());
  REQUIRE(s["cycles"].size() >= 1);
  const json& cy = s["cycles"][0];
  CHECK(cy["outcome"] == "rolled_back");
  CHECK(s["serving"] == cy["incumbent"]);
  CHECK(s["tasks"]["submitted"].get<int64_t>() >= 16000);
  CheckAccounting(s);
}

TEST_CASE("deployment killed mid-rollout is restarted, gets the rollout again and decides", "[faults]") {
  TestCluster c("fault-deploy");
  std::ofstream(c.manifest_path()) << ScenarioManifest("fault-deploy", 0.0);
  REQUIRE(c.Up().exit_code == 0);
  KillAt(c, "rolling_out", "deployment", [&] { return PidOf(c, "deployment"); });
  json s = c.WaitSummary();
  json deployment = c.Agent("deployment");
  CHECK(c.Down().exit_code == 0);
  REQUIRE(s.is_object());
  INFO(s.dump(2));
  PrintAccounting("deployment killed", s);
  CHECK(deployment["restarts"] == 1);
  REQUIRE(s["cycles"].size() >= 1);
  CHECK(s["cycles"][0]["outcome"] == "promoted");
  CheckAccounting(s);
}

TEST_CASE("monitoring hung through the drift is restarted, replays the journal and still triggers", "[faults]") {
  TestCluster c("fault-monitoring");
  // Drift at task 1500 of 5000, 300 tasks/s; liveness 2 s (200 ms x 10).
  std::ofstream(c.manifest_path()) << ScenarioManifest("fault-monitoring", 0.0);
  REQUIRE(c.Up().exit_code == 0);
  // Its baseline is learnt (200 ratings) long before the drift; hang it at
  // ~1000 ratings, so the heartbeats find it and it is started again ~600
  // tasks later, after the drift. A fresh agent that only watched live
  // ratings would learn the drifted rate as its baseline and never trigger.
  REQUIRE(WaitFor([&] { return CountEvents(c.state_dir(), "feedback") >= 1000; }, 60000));
  const pid_t hung = PidOf(c, "monitoring");
  REQUIRE(hung > 0);
  Signal(hung, SIGSTOP, "monitoring", "at ~1000 ratings, before the drift at task 1500");
  REQUIRE(WaitFor([&] { return PidOf(c, "monitoring") > 0 && PidOf(c, "monitoring") != hung; }, 30000));
  const int ratings_at_restart = CountEvents(c.state_dir(), "feedback");
  std::printf("fault: monitoring restarted at %d ratings\n", ratings_at_restart);
  json s = c.WaitSummary();
  json monitoring = c.Agent("monitoring");
  CHECK(c.Down().exit_code == 0);
  REQUIRE(s.is_object());
  INFO(s.dump(2));
  PrintAccounting("monitoring hung", s);
  CHECK(monitoring["restarts"] == 1);
  CHECK(ratings_at_restart > 1500);  // the restart did come after the drift
  const std::string log = ReadFile(c.state_dir() + "/logs/monitoring.log");
  CHECK(log.find("replayed") != std::string::npos);
  REQUIRE(s["cycles"].size() >= 1);
  CHECK(s["cycles"][0]["outcome"] == "promoted");
  CheckAccounting(s);
}
