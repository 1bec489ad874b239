// Fault injection: the reduced intent-router scenario with a process killed at
// a chosen stage of the improvement cycle. Each test says what it killed and
// when, and checks the task accounting and the outcome.
#include <signal.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include "runtime/base/sha256.h"
#include "runtime/store/store.h"
#include "tests/integration/cluster_harness.h"

using kaizen::testing::ScenarioManifest;
using kaizen::testing::TestCluster;
using kaizen::testing::WaitFor;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::string Stage(TestCluster& c) {
  json s = c.Status();
  if (s.is_null() || !s["cycle"].is_object()) return "";
  return s["cycle"].value("stage", "");
}

pid_t PidOf(TestCluster& c, const std::string& agent) {
  json a = c.Agent(agent);
  return a.is_object() && a["pid"].is_number() ? static_cast<pid_t>(a["pid"].get<int64_t>()) : 0;
}

// Waits for the cycle to reach `stage`, then sends `victim()` the signal
// (SIGKILL: a crash; SIGSTOP: a hang, which the heartbeats must catch).
void KillAt(TestCluster& c, const std::string& stage, const std::string& what, const std::function<pid_t()>& victim,
            int sig = SIGKILL) {
  auto t0 = std::chrono::steady_clock::now();
  REQUIRE(WaitFor([&] { return Stage(c) == stage; }, 120000));
  pid_t pid = victim();
  REQUIRE(pid > 0);
  REQUIRE(::kill(pid, sig) == 0);
  double at = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("fault: %s %s (pid %d) during %s, %.1f s into the wait\n", sig == SIGSTOP ? "hung" : "killed",
              what.c_str(), static_cast<int>(pid), stage.c_str(), at);
}

json WaitSummary(TestCluster& c) {
  const std::string path = c.state_dir() + "/summary.json";
  bool done = WaitFor([&] { (void)c.Status(); return fs::exists(path); }, 240000);
  json s;
  if (done) {
    std::ifstream in(path);
    s = json::parse(in, nullptr, false);
  }
  return s;
}

void PrintAccounting(const std::string& name, const json& s) {
  const json& t = s["tasks"];
  std::printf("%s: submitted %lld = answered %lld, lost %lld, duplicated %lld; cycles:", name.c_str(),
              t.value("submitted", -1LL), t.value("answered", -1LL), t.value("lost", -1LL), t.value("duplicated", -1LL));
  for (const auto& c : s["cycles"]) std::printf(" %s %s;", c.value("id", "").c_str(), c.value("outcome", "").c_str());
  std::printf("\n");
}

void CheckAccounting(const json& s) {
  CHECK(s["tasks"]["lost"] == 0);
  CHECK(s["tasks"]["duplicated"] == 0);
  CHECK(s["tasks"]["submitted"] == s["tasks"]["answered"]);
}

// The store is intact and every registered artifact still hashes to its name.
void CheckStore(const std::string& state_dir) {
  auto store = kaizen::store::Store::Open(state_dir + "/state.db", kaizen::store::Store::Mode::kReadOnly);
  REQUIRE(store.ok());
  auto integrity = (*store)->IntegrityCheck();
  REQUIRE(integrity.ok());
  CHECK(*integrity == "ok");
  auto models = (*store)->ListModels();
  REQUIRE(models.ok());
  for (const auto& m : *models) {
    auto sha = kaizen::Sha256File(m.uri.substr(std::string("file://").size()));
    REQUIRE(sha.ok());
    CHECK(*sha == m.sha256);
  }
  for (const char* kind : {"models", "datasets"}) {
    fs::path dir = fs::path(state_dir) / "artifacts" / kind;
    if (!fs::exists(dir)) continue;
    for (const auto& f : fs::directory_iterator(dir)) {
      auto sha = kaizen::Sha256File(f.path().string());
      REQUIRE(sha.ok());
      CHECK(f.path().stem().string() == *sha);
    }
  }
}

}  // namespace

TEST_CASE("the runtime killed mid-cycle comes back, resumes the cycle and still promotes", "[faults]") {
  TestCluster c("fault-runtime");
  std::ofstream(c.manifest_path()) << ScenarioManifest("fault-runtime", 0.0);
  REQUIRE(c.Up().exit_code == 0);
  KillAt(c, "generating_data", "the runtime", [&] { return c.RuntimePid(); });
  // Its agents die with it (PDEATHSIG); a new runtime on the same state dir.
  REQUIRE(WaitFor([&] { return !kaizen::testing::ProcessAlive(c.RuntimePid()); }, 10000));
  REQUIRE(c.Up().exit_code == 0);
  json s = WaitSummary(c);
  CHECK(c.Down().exit_code == 0);
  REQUIRE(s.is_object());
  INFO(s.dump(2));
  PrintAccounting("runtime killed", s);
  REQUIRE(s["cycles"].size() >= 1);
  CHECK(s["cycles"][0]["id"] == "c1");
  CHECK(s["cycles"][0]["outcome"] == "promoted");
  CHECK(s["cycles"][0]["teacher_calls"].get<int64_t>() <= 1500);
  CheckAccounting(s);
  CheckStore(c.state_dir());
}

TEST_CASE("a candidate killed during the A/B test is rolled back while the clone keeps serving", "[faults]") {
  TestCluster c("fault-candidate");
  std::ofstream(c.manifest_path()) << ScenarioManifest("fault-candidate", 0.0);
  REQUIRE(c.Up().exit_code == 0);
  KillAt(c, "rolling_out", "the candidate worker", [&] { return PidOf(c, "worker"); });
  json s = WaitSummary(c);
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

TEST_CASE("datagen killed while it collects and labels is restarted and the cycle completes", "[faults]") {
  TestCluster c("fault-datagen");
  std::ofstream(c.manifest_path()) << ScenarioManifest("fault-datagen", 0.0);
  REQUIRE(c.Up().exit_code == 0);
  KillAt(c, "generating_data", "datagen", [&] { return PidOf(c, "datagen"); });
  json s = WaitSummary(c);
  json datagen = c.Agent("datagen");
  CHECK(c.Down().exit_code == 0);
  REQUIRE(s.is_object());
  INFO(s.dump(2));
  PrintAccounting("datagen killed", s);
  CHECK(datagen["restarts"] == 1);
  REQUIRE(s["cycles"].size() >= 1);
  CHECK(s["cycles"][0]["outcome"] == "promoted");
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
  json s = WaitSummary(c);
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

TEST_CASE("deployment killed mid-rollout is restarted, gets the rollout again and decides", "[faults]") {
  TestCluster c("fault-deploy");
  std::ofstream(c.manifest_path()) << ScenarioManifest("fault-deploy", 0.0);
  REQUIRE(c.Up().exit_code == 0);
  KillAt(c, "rolling_out", "deployment", [&] { return PidOf(c, "deployment"); });
  json s = WaitSummary(c);
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
