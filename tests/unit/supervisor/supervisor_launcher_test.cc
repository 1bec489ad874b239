// Supervisor with a fake launcher: a job's life (queued -> started -> ended),
// restarts by policy with backoff, giving up, Kill, StopAll and AllExited,
// without processes or Slurm. The fake reports exactly what a test tells it.
#include <csignal>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "runtime/base/clock.h"
#include "runtime/supervisor/supervisor.h"

using kaizen::MonoMs;
using kaizen::Result;
using kaizen::Status;
using kaizen::config::Placement;
using kaizen::config::RestartPolicy;
using kaizen::supervisor::ChildEvent;
using kaizen::supervisor::ChildLauncher;
using kaizen::supervisor::ChildSpec;
using kaizen::supervisor::Launched;
using kaizen::supervisor::Launchers;
using kaizen::supervisor::LaunchUpdate;
using kaizen::supervisor::Supervisor;

namespace kaizen_sup_fake {

// What the fake launcher was asked, and what it says next.
struct FakeLauncherState {
  std::vector<std::string> launched;                  // child ids, in order
  std::vector<std::pair<std::string, int>> signals;   // (id, signal)
  std::vector<int> stop_all;
  std::vector<LaunchUpdate> next;                     // what the next Poll returns
  int fail_launches = 0;                              // that many Launch calls fail
  int next_job = 42;
};

class FakeLauncher : public ChildLauncher {
 public:
  explicit FakeLauncher(std::shared_ptr<FakeLauncherState> s) : s_(std::move(s)) {}
  Result<Launched> Launch(const ChildSpec& spec) override {
    if (s_->fail_launches > 0) {
      --s_->fail_launches;
      return Status::Unavailable("sbatch: controller down");
    }
    s_->launched.push_back(spec.id);
    Launched l;
    l.job_id = std::to_string(s_->next_job++);
    l.detail = "Slurm job " + l.job_id + " submitted";
    return l;
  }
  std::vector<LaunchUpdate> Poll(int64_t) override { return std::exchange(s_->next, {}); }
  void Signal(const std::string& id, int sig) override { s_->signals.emplace_back(id, sig); }
  void StopAll(int sig) override { s_->stop_all.push_back(sig); }

 private:
  std::shared_ptr<FakeLauncherState> s_;
};

struct FakeRig {
  std::shared_ptr<FakeLauncherState> state = std::make_shared<FakeLauncherState>();
  std::vector<ChildEvent> events;
  std::unique_ptr<Supervisor> sup;
  FakeRig() {
    Launchers l;
    l[Placement::kSlurm] = std::make_unique<FakeLauncher>(state);
    sup = std::make_unique<Supervisor>([this](const ChildEvent& e) { events.push_back(e); }, std::move(l));
  }
  // The launcher reports `u` at the next Tick(now).
  void Report(LaunchUpdate::Kind kind, const std::string& id, const std::string& job, const std::string& detail,
              bool clean = false, const std::string& node = "") {
    LaunchUpdate u;
    u.kind = kind;
    u.id = id;
    u.job_id = job;
    u.node = node;
    u.detail = detail;
    u.clean = clean;
    state->next.push_back(u);
  }
  std::vector<ChildEvent::Kind> Kinds() const {
    std::vector<ChildEvent::Kind> k;
    for (const auto& e : events) k.push_back(e.kind);
    return k;
  }
};

ChildSpec FakeSpec(const std::string& id, RestartPolicy policy = RestartPolicy::kAlways, int max_restarts = 5) {
  ChildSpec s;
  s.id = id;
  s.role = "worker";
  s.argv = {"/usr/bin/kaizen", "agent"};
  s.log_path = "/nonexistent/" + id + ".log";
  s.placement = Placement::kSlurm;
  s.restart.policy = policy;
  s.restart.backoff_initial_ms = 100;
  s.restart.backoff_max_ms = 30000;
  s.restart.max_restarts = max_restarts;
  s.restart.window_s = 60;
  return s;
}

}  // namespace kaizen_sup_fake

using namespace kaizen_sup_fake;
using EvKind = ChildEvent::Kind;
using UpKind = LaunchUpdate::Kind;

TEST_CASE("supervisor with a launcher: queued, started when the job runs, restarted with backoff after it ends",
          "[supervisor][launcher]") {
  FakeRig rig;
  REQUIRE(rig.sup->Start(FakeSpec("w")).ok());
  REQUIRE(rig.events.size() == 1);
  CHECK(rig.events[0].kind == EvKind::kQueued);
  CHECK(rig.events[0].job_id == "42");
  CHECK(rig.events[0].pid == 0);
  CHECK(rig.events[0].detail == "Slurm job 42 submitted");
  CHECK(rig.sup->Active("w"));
  CHECK_FALSE(rig.sup->AllExited());
  CHECK(rig.sup->PidOf("w") == 0);

  const int64_t t0 = MonoMs();
  rig.Report(UpKind::kQueued, "w", "42", "Slurm job 42 pending (reason: Resources)");
  rig.sup->Tick(t0);
  CHECK(rig.events.back().kind == EvKind::kQueued);
  CHECK(rig.events.back().detail == "Slurm job 42 pending (reason: Resources)");

  rig.Report(UpKind::kRunning, "w", "42", "Slurm job 42 running on node1", false, "node1");
  rig.sup->Tick(t0);
  const ChildEvent started = rig.events.back();
  CHECK(started.kind == EvKind::kStarted);
  CHECK(started.pid == 0);
  CHECK(started.job_id == "42");
  CHECK(started.node == "node1");
  CHECK(started.restarts == 0);

  rig.Report(UpKind::kEnded, "w", "42", "Slurm job 42 was preempted");
  rig.sup->Tick(t0);
  CHECK_FALSE(rig.sup->Active("w"));
  CHECK(rig.sup->AllExited());
  CHECK(rig.Kinds() == std::vector<EvKind>{EvKind::kQueued, EvKind::kQueued, EvKind::kStarted, EvKind::kExited,
                                           EvKind::kRestartScheduled});
  CHECK(rig.events[3].detail == "Slurm job 42 was preempted");
  CHECK(rig.events[3].job_id == "42");
  CHECK_FALSE(rig.events[3].clean);
  CHECK(rig.events[4].detail == "restart 1 in 100 ms");
  CHECK(rig.sup->MsUntilNextRestart(t0) == 100);

  rig.sup->Tick(t0 + 99);  // not yet
  CHECK(rig.state->launched.size() == 1);
  rig.sup->Tick(t0 + 100);
  REQUIRE(rig.state->launched.size() == 2);
  CHECK(rig.events.back().kind == EvKind::kQueued);
  CHECK(rig.events.back().job_id == "43");
  CHECK(rig.events.back().restarts == 1);
  CHECK(rig.sup->RestartsOf("w") == 1);

  // The second end within the window doubles the delay.
  rig.Report(UpKind::kEnded, "w", "43", "Slurm job 43 was cancelled");
  rig.sup->Tick(t0 + 200);
  CHECK(rig.events.back().detail == "restart 2 in 200 ms");
}

TEST_CASE("supervisor with a launcher gives up after max restarts, a failed submit counting as a failure",
          "[supervisor][launcher]") {
  FakeRig rig;
  REQUIRE(rig.sup->Start(FakeSpec("w", RestartPolicy::kAlways, /*max_restarts=*/2)).ok());
  const int64_t t = MonoMs();
  rig.Report(UpKind::kEnded, "w", "42", "Slurm job 42 failed: exited with code 3");
  rig.sup->Tick(t);
  rig.state->fail_launches = 1;
  rig.sup->Tick(t + 100);  // restart 1: sbatch fails
  CHECK(rig.events.back().kind == EvKind::kRestartScheduled);
  CHECK(rig.events[rig.events.size() - 2].kind == EvKind::kSpawnFailed);
  CHECK(rig.events[rig.events.size() - 2].detail == "cannot start agent w: sbatch: controller down");
  rig.sup->Tick(t + 5000);  // restart 2: submitted
  REQUIRE(rig.sup->Active("w"));
  rig.Report(UpKind::kEnded, "w", "43", "Slurm job 43 ended at its time limit");
  rig.sup->Tick(t + 5000);
  CHECK(rig.events.back().kind == EvKind::kGaveUp);
  CHECK(rig.events.back().detail == "restarted 2 times within 60 s; giving up");
  CHECK(rig.sup->MsUntilNextRestart(MonoMs()) == -1);
  CHECK(rig.sup->AllExited());
}

TEST_CASE("supervisor with a launcher: a clean end under on-failure is not restarted, Kill makes any end a failure",
          "[supervisor][launcher]") {
  FakeRig rig;
  REQUIRE(rig.sup->Start(FakeSpec("a", RestartPolicy::kOnFailure)).ok());
  REQUIRE(rig.sup->Start(FakeSpec("b", RestartPolicy::kOnFailure)).ok());
  rig.Report(UpKind::kEnded, "a", "42", "Slurm job 42 exited with code 0", /*clean=*/true);
  rig.sup->Kill("b", "lost: no heartbeat");
  REQUIRE(rig.state->signals.size() == 1);
  CHECK(rig.state->signals[0] == std::make_pair(std::string("b"), SIGKILL));
  rig.Report(UpKind::kEnded, "b", "43", "Slurm job 43 exited with code 0", /*clean=*/true);
  rig.sup->Tick(MonoMs());
  int gave_up = 0, scheduled = 0;
  for (const auto& e : rig.events) {
    if (e.kind == EvKind::kGaveUp) {
      ++gave_up;
      CHECK(e.id == "a");
    }
    if (e.kind == EvKind::kRestartScheduled) {
      ++scheduled;
      CHECK(e.id == "b");
    }
    if (e.kind == EvKind::kExited) CHECK(e.clean);
  }
  CHECK(gave_up == 1);
  CHECK(scheduled == 1);
  // Kill and Signal on a child that is not active reach no launcher.
  rig.sup->Kill("a", "test");
  rig.sup->Signal("a", SIGTERM);
  rig.sup->Kill("nobody", "test");
  CHECK(rig.state->signals.size() == 1);
}

TEST_CASE("supervisor with a launcher: StopAll stops restarts, passes the signal on, AllExited waits for every end",
          "[supervisor][launcher]") {
  FakeRig rig;
  REQUIRE(rig.sup->Start(FakeSpec("a")).ok());
  REQUIRE(rig.sup->Start(FakeSpec("b")).ok());
  REQUIRE(rig.sup->Start(FakeSpec("c")).ok());
  const int64_t t = MonoMs();
  rig.Report(UpKind::kEnded, "c", "44", "Slurm job 44 was cancelled");
  rig.sup->Tick(t);
  REQUIRE(rig.sup->MsUntilNextRestart(t) >= 0);  // c waits for its restart

  rig.sup->StopAll(SIGTERM);
  CHECK(rig.state->stop_all == std::vector<int>{SIGTERM});
  CHECK(rig.sup->MsUntilNextRestart(t) == -1);
  CHECK_FALSE(rig.sup->AllExited());
  CHECK(rig.sup->Start(FakeSpec("d")).code() == Status::Code::kFailedPrecondition);

  rig.Report(UpKind::kEnded, "a", "42", "Slurm job 42 exited with code 0", true);
  rig.sup->Tick(t + 3600 * 1000);  // launchers are still polled while stopping; no restart of c
  CHECK_FALSE(rig.sup->AllExited());
  CHECK(rig.state->launched.size() == 3);
  rig.Report(UpKind::kEnded, "b", "43", "Slurm job 43 was cancelled");
  rig.sup->Tick(t + 3600 * 1000);
  CHECK(rig.sup->AllExited());
  int scheduled = 0;
  for (const auto& e : rig.events) scheduled += e.kind == EvKind::kRestartScheduled ? 1 : 0;
  CHECK(scheduled == 1);  // c's, before the stop
}

TEST_CASE("supervisor refuses a placement it has no launcher for", "[supervisor][launcher]") {
  std::vector<ChildEvent> events;
  Supervisor sup([&](const ChildEvent& e) { events.push_back(e); });  // fork only
  Status s = sup.Start(FakeSpec("w"));
  CHECK(s.code() == Status::Code::kInvalidArgument);
  CHECK(s.message() == "cannot start agent w: this runtime has no launcher for placement slurm");
  CHECK(events.empty());
  CHECK(sup.Ids().empty());
}

TEST_CASE("supervisor with a launcher ignores updates about children it does not run", "[supervisor][launcher]") {
  FakeRig rig;
  rig.Report(UpKind::kRunning, "ghost", "7", "Slurm job 7 running on n1", false, "n1");
  rig.sup->Tick(MonoMs());
  CHECK(rig.events.empty());
  CHECK(rig.sup->AllExited());
}
