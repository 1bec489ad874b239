// Supervisor: owns the agent processes, reaps them, restarts them by policy.
#include "runtime/supervisor/supervisor.h"

#include <sys/wait.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>

#include <spdlog/spdlog.h>

#include "runtime/base/clock.h"
#include "runtime/base/spawn_process.h"

namespace kaizen::supervisor {

struct Supervisor::Child {
  explicit Child(const ChildSpec& s) : spec(s), tracker(s.restart) {}
  ChildSpec spec;
  RestartTracker tracker;
  // The only pid ever signalled: set when we start it, 0 once reaped, so a
  // recycled pid is never hit.
  pid_t pid = 0;
  int64_t restart_at_ms = -1;   // MonoMs of a scheduled restart, -1 if none
  bool killed = false;          // Kill()ed: its exit is a failure whatever the status
  bool stop_requested = false;  // Signal()ed to stop: its exit is not restarted
};

namespace {

ChildEvent MakeEvent(ChildEvent::Kind kind, const ChildSpec& spec, pid_t pid, int restarts, std::string detail) {
  ChildEvent ev{kind, spec.id, spec.role, pid, restarts, std::move(detail)};
  return ev;
}

// "exited with code 3", "killed by signal 9 (SIGKILL)". The runtime compares
// against "exited with code 0" to tell a clean exit: keep that exact.
std::string DescribeExit(int status) {
  if (WIFEXITED(status)) return "exited with code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    std::string d = "killed by signal " + std::to_string(sig);
    if (const char* abbrev = sigabbrev_np(sig)) d += std::string(" (SIG") + abbrev + ")";
    if (WCOREDUMP(status)) d += " (core dumped)";
    return d;
  }
  return "ended with wait status " + std::to_string(status);
}

bool IsStopSignal(int sig) { return sig == SIGTERM || sig == SIGINT || sig == SIGQUIT || sig == SIGKILL; }

// pid must be one of ours and not yet reaped: then neither it nor the group
// id equal to it can have been reused. SIGKILL takes the whole group, so
// helpers the agent started die too; the direct kill covers a child that
// left its group.
void SendSignal(pid_t pid, int sig) {
  if (pid <= 0) return;
  if (sig == SIGKILL) ::kill(-pid, SIGKILL);
  ::kill(pid, sig);
}

}  // namespace

Supervisor::Supervisor(Listener listener) : listener_(std::move(listener)) {}

Supervisor::~Supervisor() {
  // No events from here: the listener's owner may already be half gone.
  for (auto& [id, c] : children_) {
    if (c->pid <= 0) continue;
    SendSignal(c->pid, SIGKILL);
    int status = 0;
    while (::waitpid(c->pid, &status, 0) < 0 && errno == EINTR) {
    }
    c->pid = 0;
  }
}

Status Supervisor::Start(const ChildSpec& spec) {
  if (stopping_) return Status::FailedPrecondition("cannot start agent " + spec.id + ": the supervisor is stopping");
  if (spec.argv.empty()) return Status::InvalidArgument("cannot start agent " + spec.id + ": empty command line");
  auto it = children_.find(spec.id);
  if (it != children_.end() && (it->second->pid > 0 || it->second->restart_at_ms >= 0)) {
    return Status::AlreadyExists("agent " + spec.id + " is already supervised");
  }
  auto pid = SpawnProcess(spec.argv, spec.log_path);
  if (!pid.ok()) return pid.status().WithContext("cannot start agent " + spec.id);
  auto child = std::make_unique<Child>(spec);
  child->pid = *pid;
  Emit(MakeEvent(ChildEvent::Kind::kStarted, spec, child->pid, 0, "pid " + std::to_string(child->pid)));
  children_[spec.id] = std::move(child);  // replaces a finished one
  Flush();
  return Status::OK();
}

void Supervisor::Spawn(Child& c) {
  c.restart_at_ms = -1;
  auto pid = SpawnProcess(c.spec.argv, c.spec.log_path);
  if (!pid.ok()) {
    // A failed start is one more failed exit: the backoff goes on, and
    // the window gives up on a binary that stays broken.
    Emit(MakeEvent(ChildEvent::Kind::kSpawnFailed, c.spec, 0, c.tracker.restarts(),
                   "cannot start agent " + c.spec.id + ": " + pid.status().message()));
    ScheduleRestart(c, /*failed=*/true, MonoMs());
    return;
  }
  c.pid = *pid;
  c.killed = false;
  Emit(MakeEvent(ChildEvent::Kind::kStarted, c.spec, c.pid, c.tracker.restarts(), "pid " + std::to_string(c.pid)));
}

void Supervisor::ScheduleRestart(Child& c, bool failed, int64_t now_ms) {
  const int64_t delay = c.tracker.OnExit(now_ms, failed);
  if (delay < 0) {
    Emit(MakeEvent(ChildEvent::Kind::kGaveUp, c.spec, 0, c.tracker.restarts(), c.tracker.give_up_reason()));
    return;
  }
  c.restart_at_ms = now_ms + delay;
  Emit(MakeEvent(ChildEvent::Kind::kRestartScheduled, c.spec, 0, c.tracker.restarts(),
                 "restart " + std::to_string(c.tracker.restarts()) + " in " + std::to_string(delay) + " ms"));
}

void Supervisor::Reap() {
  const int64_t now = MonoMs();
  // waitpid on our own pids only: waitpid(-1) would steal children that other
  // parts of the process started and wait for.
  for (auto& [id, cp] : children_) {
    Child& c = *cp;
    if (c.pid <= 0) continue;
    int status = 0;
    pid_t r;
    do {
      r = ::waitpid(c.pid, &status, WNOHANG);
    } while (r < 0 && errno == EINTR);
    if (r == 0) continue;
    std::string detail;
    bool failed = true;
    if (r < 0) {
      // ECHILD: someone reaped it behind our back (waitpid(-1) elsewhere, or
      // SIGCHLD ignored). It is gone all the same.
      detail = "exited (status unknown: reaped elsewhere)";
    } else {
      detail = DescribeExit(status);
      failed = c.killed || !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    const pid_t old = c.pid;
    c.pid = 0;
    c.killed = false;
    Emit(MakeEvent(ChildEvent::Kind::kExited, c.spec, old, c.tracker.restarts(), std::move(detail)));
    if (stopping_ || c.stop_requested) continue;
    ScheduleRestart(c, failed, now);
  }
  Flush();
}

void Supervisor::Tick(int64_t now_ms) {
  if (stopping_) return;
  for (auto& [id, c] : children_) {
    if (c->pid == 0 && c->restart_at_ms >= 0 && now_ms >= c->restart_at_ms) Spawn(*c);
  }
  Flush();
}

int64_t Supervisor::MsUntilNextRestart(int64_t now_ms) const {
  if (stopping_) return -1;
  int64_t best = -1;
  for (const auto& [id, c] : children_) {
    if (c->pid != 0 || c->restart_at_ms < 0) continue;
    const int64_t d = std::max<int64_t>(0, c->restart_at_ms - now_ms);
    if (best < 0 || d < best) best = d;
  }
  return best;
}

void Supervisor::Kill(const std::string& id, const std::string& reason) {
  auto it = children_.find(id);
  if (it == children_.end() || it->second->pid <= 0) return;
  Child& c = *it->second;
  spdlog::debug("supervisor: killing agent {} (pid {}): {}", id, c.pid, reason);
  c.killed = true;
  SendSignal(c.pid, SIGKILL);
}

void Supervisor::StopAll(int sig) {
  stopping_ = true;
  for (auto& [id, c] : children_) {
    c->restart_at_ms = -1;
    SendSignal(c->pid, sig);
  }
}

void Supervisor::Signal(const std::string& id, int sig) {
  auto it = children_.find(id);
  if (it == children_.end()) return;
  Child& c = *it->second;
  if (IsStopSignal(sig)) {
    c.stop_requested = true;
    c.restart_at_ms = -1;
  }
  SendSignal(c.pid, sig);
}

bool Supervisor::AllExited() const {
  for (const auto& [id, c] : children_) {
    if (c->pid > 0) return false;
  }
  return true;
}

pid_t Supervisor::PidOf(const std::string& id) const {
  auto it = children_.find(id);
  return it == children_.end() ? 0 : it->second->pid;
}

int Supervisor::RestartsOf(const std::string& id) const {
  auto it = children_.find(id);
  return it == children_.end() ? 0 : it->second->tracker.restarts();
}

std::vector<std::string> Supervisor::Ids() const {
  std::vector<std::string> ids;
  ids.reserve(children_.size());
  for (const auto& [id, c] : children_) ids.push_back(id);
  return ids;
}

void Supervisor::Emit(ChildEvent ev) { pending_.push_back(std::move(ev)); }

void Supervisor::Flush() {
  // A listener that calls back (Start, Kill...) queues more; this outer loop
  // delivers them in order after the current batch.
  if (flushing_) return;
  struct Guard {
    bool& flag;
    ~Guard() { flag = false; }
  } guard{flushing_};
  flushing_ = true;
  while (!pending_.empty()) {
    std::vector<ChildEvent> batch;
    batch.swap(pending_);
    for (const auto& ev : batch) {
      if (listener_) listener_(ev);
    }
  }
}

}  // namespace kaizen::supervisor
