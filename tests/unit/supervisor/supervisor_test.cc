// Supervisor with real processes (/bin/sh, /bin/sleep): exits, restarts by
// policy, stopping, and no process outliving it. Every wait polls Reap/Tick
// against a deadline; nothing depends on a fixed sleep.
#include "runtime/supervisor/supervisor.h"

#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>

#include "tests/unit/supervisor/test_support.h"

using namespace kaizen;
using namespace kaizen::supervisor;
using namespace kaizen::supervisor::testing;
using Kind = ChildEvent::Kind;
using kaizen::config::RestartPolicy;

namespace {

// Far enough ahead that every scheduled restart is due.
int64_t FarFuture() { return MonoMs() + 3600 * 1000; }

struct Recorder {
  std::vector<ChildEvent> events;
  Supervisor::Listener listener() {
    return [this](const ChildEvent& e) { events.push_back(e); };
  }
  int Count(Kind k, const std::string& id = "") const {
    int n = 0;
    for (const auto& e : events) n += (e.kind == k && (id.empty() || e.id == id)) ? 1 : 0;
    return n;
  }
  // The last event of that kind; fails the test when there is none.
  const ChildEvent& Last(Kind k, const std::string& id = "") const {
    for (auto it = events.rbegin(); it != events.rend(); ++it) {
      if (it->kind == k && (id.empty() || it->id == id)) return *it;
    }
    FAIL("no event of kind " << static_cast<int>(k) << " for '" << id << "'");
    throw std::logic_error("unreachable");
  }
  std::vector<Kind> Kinds(const std::string& id) const {
    std::vector<Kind> out;
    for (const auto& e : events) {
      if (e.id == id) out.push_back(e.kind);
    }
    return out;
  }
};

ChildSpec Spec(const TempDir& dir, const std::string& id, std::vector<std::string> argv,
               RestartPolicy policy = RestartPolicy::kAlways, int64_t backoff_ms = 100, int max_restarts = 5) {
  ChildSpec s;
  s.id = id;
  s.role = "worker";
  s.argv = std::move(argv);
  s.log_path = dir / ("logs/" + id + ".log");
  s.restart.policy = policy;
  s.restart.backoff_initial_ms = backoff_ms;
  s.restart.backoff_max_ms = 30000;
  s.restart.max_restarts = max_restarts;
  s.restart.window_s = 60;
  return s;
}

const std::vector<std::string> kSleep = {"/bin/sleep", "30"};

// Runs the supervisor's loop (Reap, and Tick unless told not to) until cond holds.
template <typename Cond>
bool Drive(Supervisor& sup, Cond cond, bool tick = true) {
  return WaitUntil([&] {
    sup.Reap();
    if (tick) sup.Tick(MonoMs());
    return cond();
  });
}

}  // namespace

TEST_CASE("supervisor reports a start and an exit code", "[supervisor]") {
  TempDir dir;
  Recorder rec;
  Supervisor sup(rec.listener());
  REQUIRE(sup.Start(Spec(dir, "a", {"/bin/sh", "-c", "echo hello; exit 3"}, RestartPolicy::kNever)).ok());
  REQUIRE(rec.events.size() == 1);
  const ChildEvent started = rec.events[0];
  CHECK(started.kind == Kind::kStarted);
  CHECK(started.id == "a");
  CHECK(started.role == "worker");
  CHECK(started.pid > 0);
  CHECK(started.restarts == 0);
  CHECK(started.detail == "pid " + std::to_string(started.pid));
  CHECK(sup.PidOf("a") == started.pid);
  CHECK_FALSE(sup.AllExited());

  REQUIRE(Drive(sup, [&] { return sup.AllExited(); }));
  CHECK(rec.Kinds("a") == std::vector<Kind>{Kind::kStarted, Kind::kExited, Kind::kGaveUp});
  CHECK(rec.Last(Kind::kExited).detail == "exited with code 3");
  CHECK(rec.Last(Kind::kExited).pid == started.pid);
  CHECK(rec.Last(Kind::kGaveUp).detail == "restart policy is never");
  CHECK(sup.PidOf("a") == 0);
  CHECK(sup.MsUntilNextRestart(MonoMs()) == -1);
  CHECK(ReadFile(dir / "logs/a.log") == "hello\n");
  CHECK(ProcessGone(started.pid));  // reaped, not a zombie
}

TEST_CASE("supervisor reports the signal that killed a child", "[supervisor]") {
  TempDir dir;
  Recorder rec;
  Supervisor sup(rec.listener());
  REQUIRE(sup.Start(Spec(dir, "a", {"/bin/sh", "-c", "kill -TERM $$"}, RestartPolicy::kNever)).ok());
  REQUIRE(Drive(sup, [&] { return sup.AllExited(); }));
  CHECK(rec.Last(Kind::kExited).detail == "killed by signal 15 (SIGTERM)");
}

TEST_CASE("supervisor restarts a SIGKILLed child after the backoff", "[supervisor]") {
  TempDir dir;
  Recorder rec;
  Supervisor sup(rec.listener());
  REQUIRE(sup.Start(Spec(dir, "a", kSleep, RestartPolicy::kAlways, 200)).ok());
  const pid_t first = sup.PidOf("a");
  REQUIRE(first > 0);
  REQUIRE(::kill(first, SIGKILL) == 0);

  REQUIRE(Drive(sup, [&] { return rec.Count(Kind::kStarted) == 2; }));
  CHECK(rec.Kinds("a") ==
        std::vector<Kind>{Kind::kStarted, Kind::kExited, Kind::kRestartScheduled, Kind::kStarted});
  CHECK(rec.Last(Kind::kExited).detail == "killed by signal 9 (SIGKILL)");
  CHECK(rec.Last(Kind::kRestartScheduled).detail == "restart 1 in 200 ms");
  CHECK(rec.Last(Kind::kRestartScheduled).restarts == 1);
  const ChildEvent& again = rec.Last(Kind::kStarted);
  CHECK(again.restarts == 1);
  CHECK(again.pid != first);
  CHECK(sup.PidOf("a") == again.pid);
  CHECK(sup.RestartsOf("a") == 1);
  CHECK(::getpgid(again.pid) == again.pid);
}

TEST_CASE("supervisor waits for the backoff before restarting", "[supervisor]") {
  TempDir dir;
  Recorder rec;
  Supervisor sup(rec.listener());
  // on-failure: a Kill()ed child is a failure whatever its exit status.
  REQUIRE(sup.Start(Spec(dir, "a", kSleep, RestartPolicy::kOnFailure, 5000)).ok());
  const int64_t before = MonoMs();
  sup.Kill("a", "missed heartbeats");
  REQUIRE(Drive(sup, [&] { return rec.Count(Kind::kRestartScheduled) == 1; }, /*tick=*/false));
  CHECK(rec.Last(Kind::kRestartScheduled).detail == "restart 1 in 5000 ms");
  CHECK(rec.Last(Kind::kExited).detail == "killed by signal 9 (SIGKILL)");
  const int64_t wait = sup.MsUntilNextRestart(MonoMs());
  CHECK(wait > 0);
  CHECK(wait <= 5000);

  // The restart is due 5000 ms after the exit was reaped, which was after `before`.
  sup.Tick(before + 4999);
  CHECK(rec.Count(Kind::kStarted) == 1);
  CHECK(sup.PidOf("a") == 0);
  sup.Tick(FarFuture());
  CHECK(rec.Count(Kind::kStarted) == 2);
  CHECK(rec.Last(Kind::kStarted).restarts == 1);
  CHECK(sup.PidOf("a") > 0);
  CHECK(sup.MsUntilNextRestart(MonoMs()) == -1);
}

TEST_CASE("supervisor does not restart under the never policy", "[supervisor]") {
  TempDir dir;
  Recorder rec;
  Supervisor sup(rec.listener());
  REQUIRE(sup.Start(Spec(dir, "a", kSleep, RestartPolicy::kNever)).ok());
  sup.Kill("a", "test");
  REQUIRE(Drive(sup, [&] { return sup.AllExited(); }));
  sup.Tick(FarFuture());
  CHECK(rec.Kinds("a") == std::vector<Kind>{Kind::kStarted, Kind::kExited, Kind::kGaveUp});
  CHECK(sup.RestartsOf("a") == 0);
}

TEST_CASE("supervisor on-failure restarts a failure but not a clean exit", "[supervisor]") {
  TempDir dir;
  Recorder rec;
  Supervisor sup(rec.listener());
  REQUIRE(sup.Start(Spec(dir, "clean", {"/bin/sh", "-c", "exit 0"}, RestartPolicy::kOnFailure)).ok());
  REQUIRE(sup.Start(Spec(dir, "failing", {"/bin/sh", "-c", "exit 1"}, RestartPolicy::kOnFailure, 5000)).ok());
  REQUIRE(Drive(sup, [&] { return sup.AllExited(); }, /*tick=*/false));

  CHECK(rec.Kinds("clean") == std::vector<Kind>{Kind::kStarted, Kind::kExited, Kind::kGaveUp});
  CHECK(rec.Last(Kind::kExited, "clean").detail == "exited with code 0");
  CHECK(rec.Last(Kind::kGaveUp, "clean").detail == "exited cleanly and restart policy is on-failure");
  CHECK(rec.Kinds("failing") == std::vector<Kind>{Kind::kStarted, Kind::kExited, Kind::kRestartScheduled});
  CHECK(rec.Last(Kind::kExited, "failing").detail == "exited with code 1");

  sup.Tick(FarFuture());
  CHECK(rec.Count(Kind::kStarted, "clean") == 1);
  CHECK(rec.Count(Kind::kStarted, "failing") == 2);
}

TEST_CASE("supervisor Start with a bad path is an IOError and registers nothing", "[supervisor]") {
  TempDir dir;
  Recorder rec;
  Supervisor sup(rec.listener());
  Status s = sup.Start(Spec(dir, "worker", {"/x/kaizen", "agent"}));
  REQUIRE_FALSE(s.ok());
  CHECK(s.code() == Status::Code::kIOError);
  CHECK(s.message() == "cannot start agent worker: /x/kaizen: No such file or directory");
  CHECK(rec.events.empty());
  CHECK(sup.Ids().empty());
  CHECK(sup.AllExited());
  // Nothing was registered, so a corrected spec starts.
  CHECK(sup.Start(Spec(dir, "worker", kSleep)).ok());
}

TEST_CASE("supervisor treats a failed restart as a failure and backs off", "[supervisor]") {
  TempDir dir;
  const std::string script = dir / "agent.sh";
  { std::ofstream(script) << "#!/bin/sh\nexec /bin/sleep 30\n"; }
  REQUIRE(::chmod(script.c_str(), 0755) == 0);
  Recorder rec;
  Supervisor sup(rec.listener());
  REQUIRE(sup.Start(Spec(dir, "a", {script}, RestartPolicy::kAlways, 100, /*max_restarts=*/2)).ok());
  std::filesystem::remove(script);  // the binary disappears (a bad upgrade)
  sup.Kill("a", "test");
  REQUIRE(Drive(sup, [&] { return rec.Count(Kind::kRestartScheduled) == 1; }, /*tick=*/false));

  sup.Tick(FarFuture());  // restart 1: exec fails
  CHECK(rec.Count(Kind::kSpawnFailed) == 1);
  CHECK(rec.Last(Kind::kSpawnFailed).detail == "cannot start agent a: " + script + ": No such file or directory");
  CHECK(rec.Last(Kind::kRestartScheduled).detail == "restart 2 in 200 ms");
  CHECK(sup.PidOf("a") == 0);

  sup.Tick(FarFuture());  // restart 2: fails again, third exit in the window
  CHECK(rec.Count(Kind::kSpawnFailed) == 2);
  CHECK(rec.Last(Kind::kGaveUp).detail == "restarted 2 times within 60 s; giving up");
  CHECK(sup.MsUntilNextRestart(MonoMs()) == -1);
  CHECK(rec.Kinds("a") == std::vector<Kind>{Kind::kStarted, Kind::kExited, Kind::kRestartScheduled,
                                            Kind::kSpawnFailed, Kind::kRestartScheduled, Kind::kSpawnFailed,
                                            Kind::kGaveUp});
  CHECK(sup.AllExited());
}

TEST_CASE("supervisor StopAll stops everything and cancels restarts", "[supervisor]") {
  TempDir dir;
  Recorder rec;
  Supervisor sup(rec.listener());
  std::vector<pid_t> pids;
  for (const char* id : {"a", "b", "c"}) {
    REQUIRE(sup.Start(Spec(dir, id, kSleep)).ok());
    pids.push_back(sup.PidOf(id));
  }
  // "d" is waiting for a restart when the stop comes.
  REQUIRE(sup.Start(Spec(dir, "d", kSleep, RestartPolicy::kAlways, 60000)).ok());
  sup.Kill("d", "test");
  REQUIRE(Drive(sup, [&] { return rec.Count(Kind::kRestartScheduled, "d") == 1; }, /*tick=*/false));

  sup.StopAll(SIGTERM);
  CHECK(sup.MsUntilNextRestart(MonoMs()) == -1);
  REQUIRE(Drive(sup, [&] { return sup.AllExited(); }));
  sup.Tick(FarFuture());
  CHECK(rec.Count(Kind::kExited) == 4);
  CHECK(rec.Count(Kind::kRestartScheduled) == 1);  // only d's, before the stop
  CHECK(rec.Count(Kind::kStarted) == 4);
  CHECK(rec.Last(Kind::kExited, "a").detail == "killed by signal 15 (SIGTERM)");
  for (pid_t p : pids) CHECK(ProcessGone(p));
  CHECK(sup.Start(Spec(dir, "e", kSleep)).code() == Status::Code::kFailedPrecondition);
}

TEST_CASE("supervisor does not restart a child Signal()ed to stop", "[supervisor]") {
  TempDir dir;
  Recorder rec;
  Supervisor sup(rec.listener());
  REQUIRE(sup.Start(Spec(dir, "stopped", kSleep)).ok());
  REQUIRE(sup.Start(Spec(dir, "poked", kSleep)).ok());
  sup.Signal("stopped", SIGTERM);
  sup.Signal("poked", SIGUSR1);  // not a stop signal: its death is a failure
  REQUIRE(Drive(sup, [&] { return rec.Count(Kind::kStarted, "poked") == 2 && sup.PidOf("stopped") == 0; }));
  sup.Tick(FarFuture());
  CHECK(rec.Kinds("stopped") == std::vector<Kind>{Kind::kStarted, Kind::kExited});
  CHECK(rec.Last(Kind::kExited, "poked").detail == "killed by signal 10 (SIGUSR1)");

  // A stopped child may be started again, with a fresh restart count.
  CHECK(sup.Start(Spec(dir, "poked", kSleep)).code() == Status::Code::kAlreadyExists);
  REQUIRE(sup.Start(Spec(dir, "stopped", kSleep)).ok());
  CHECK(sup.PidOf("stopped") > 0);
  CHECK(sup.RestartsOf("stopped") == 0);
}

TEST_CASE("supervisor listener may call back into the supervisor", "[supervisor]") {
  TempDir dir;
  std::vector<ChildEvent> events;
  std::unique_ptr<Supervisor> sup;
  // On the exit of a stopped child, start it again at once (a clone swap).
  sup = std::make_unique<Supervisor>([&](const ChildEvent& e) {
    events.push_back(e);
    if (e.kind == Kind::kExited && events.size() == 2) REQUIRE(sup->Start(Spec(dir, "a", kSleep)).ok());
  });
  REQUIRE(sup->Start(Spec(dir, "a", kSleep)).ok());
  const pid_t first = sup->PidOf("a");
  sup->Signal("a", SIGTERM);
  REQUIRE(Drive(*sup, [&] { return events.size() >= 3; }));
  REQUIRE(events.size() == 3);
  CHECK(events[1].kind == Kind::kExited);
  CHECK(events[2].kind == Kind::kStarted);
  CHECK(events[2].pid != first);
  CHECK(sup->PidOf("a") == events[2].pid);
  sup.reset();
  CHECK(ProcessGone(events[2].pid));
}

TEST_CASE("supervisor Reap leaves other children alone", "[supervisor]") {
  TempDir dir;
  Recorder rec;
  Supervisor sup(rec.listener());
  pid_t other = ::fork();
  REQUIRE(other >= 0);
  if (other == 0) ::_exit(7);
  REQUIRE(sup.Start(Spec(dir, "a", {"/bin/sh", "-c", "exit 0"}, RestartPolicy::kNever)).ok());
  // Wait until the foreign child has exited, without reaping it.
  siginfo_t info{};
  REQUIRE(::waitid(P_PID, static_cast<id_t>(other), &info, WEXITED | WNOWAIT) == 0);
  REQUIRE(Drive(sup, [&] { return sup.AllExited(); }));
  sup.Reap();
  int status = 0;
  REQUIRE(::waitpid(other, &status, WNOHANG) == other);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 7);
}

TEST_CASE("supervisor Kill and Signal ignore unknown and finished children", "[supervisor]") {
  TempDir dir;
  Recorder rec;
  Supervisor sup(rec.listener());
  sup.Kill("nobody", "test");
  sup.Signal("nobody", SIGTERM);
  REQUIRE(sup.Start(Spec(dir, "a", {"/bin/sh", "-c", "exit 0"}, RestartPolicy::kNever)).ok());
  REQUIRE(Drive(sup, [&] { return sup.AllExited(); }));
  sup.Kill("a", "test");  // its pid is reaped: must not be signalled again
  sup.Reap();
  CHECK(rec.Count(Kind::kExited) == 1);
  CHECK(sup.PidOf("nobody") == 0);
  CHECK(sup.RestartsOf("nobody") == 0);
  CHECK(sup.Ids() == std::vector<std::string>{"a"});
}

TEST_CASE("supervisor destructor kills and reaps every child", "[supervisor]") {
  TempDir dir;
  Recorder rec;
  std::vector<pid_t> pids;
  pid_t grandchild = 0;
  {
    Supervisor sup(rec.listener());
    REQUIRE(sup.Start(Spec(dir, "a", kSleep)).ok());
    // b starts a helper of its own (same process group) and waits for it.
    REQUIRE(sup.Start(Spec(dir, "b", {"/bin/sh", "-c", "/bin/sleep 30 & echo $!; wait"})).ok());
    pids = {sup.PidOf("a"), sup.PidOf("b")};
    const std::string log = dir / "logs/b.log";
    REQUIRE(WaitUntil([&] { return ReadFile(log).find('\n') != std::string::npos; }));
    grandchild = std::stoi(ReadFile(log));
    REQUIRE(grandchild > 0);
  }
  for (pid_t p : pids) {
    CHECK(::kill(p, 0) == -1);
    CHECK(errno == ESRCH);
  }
  // The helper went with its group; whoever inherited it reaps it.
  CHECK(WaitUntil([&] { return ProcessDead(grandchild); }));
}

TEST_CASE("supervisor: children die when the supervisor's process is SIGKILLed", "[supervisor]") {
  TempDir dir;
  // Orphans come to this process, so the test can reap the sleep and see how
  // it died, whatever init does in this container.
  REQUIRE(::prctl(PR_SET_CHILD_SUBREAPER, 1) == 0);
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  pid_t mid = ::fork();
  REQUIRE(mid >= 0);
  if (mid == 0) {
    ::close(fds[0]);
    Supervisor sup([](const ChildEvent&) {});
    if (!sup.Start(Spec(dir, "sleeper", kSleep)).ok()) ::_exit(1);
    pid_t p = sup.PidOf("sleeper");
    (void)!::write(fds[1], &p, sizeof p);
    ::kill(::getpid(), SIGKILL);  // no destructor runs: only PDEATHSIG can help
    ::_exit(2);
  }
  ::close(fds[1]);
  pid_t sleeper = 0;
  ssize_t n = ::read(fds[0], &sleeper, sizeof sleeper);
  ::close(fds[0]);
  int status = 0;
  REQUIRE(::waitpid(mid, &status, 0) == mid);
  CHECK(WIFSIGNALED(status));
  REQUIRE(n == static_cast<ssize_t>(sizeof sleeper));
  REQUIRE(sleeper > 0);

  int sleeper_status = 0;
  bool reaped = WaitUntil([&] { return ::waitpid(sleeper, &sleeper_status, WNOHANG) == sleeper; });
  if (!reaped) {  // don't leave it behind when the test fails
    ::kill(sleeper, SIGKILL);
    ::waitpid(sleeper, &sleeper_status, 0);
  }
  ::prctl(PR_SET_CHILD_SUBREAPER, 0);
  REQUIRE(reaped);
  CHECK(WIFSIGNALED(sleeper_status));
  CHECK(WTERMSIG(sleeper_status) == SIGKILL);
}
