// Supervisor: owns the agents through their launchers, restarts them by policy.
#include "runtime/supervisor/supervisor.h"

#include <algorithm>
#include <csignal>

#include <spdlog/spdlog.h>

#include "runtime/base/clock.h"
#include "runtime/supervisor/fork_launcher.h"

namespace kaizen::supervisor {

struct Supervisor::Child {
  Child(const ChildSpec& s, ChildLauncher& l) : spec(s), tracker(s.restart), launcher(&l) {}
  ChildSpec spec;
  RestartTracker tracker;
  ChildLauncher* launcher;      // owned by launchers_, which outlive every child
  bool active = false;          // launched, and its end not yet reported
  bool running = false;         // active and running (not queued)
  pid_t pid = 0;                // a running process; 0 for a job
  std::string job_id, node;     // a job's, while active
  int64_t restart_at_ms = -1;   // MonoMs of a scheduled restart, -1 if none
  bool killed = false;          // Kill()ed: its end is a failure whatever the status
  bool stop_requested = false;  // Signal()ed to stop: its end is not restarted
};

namespace {

ChildEvent MakeEvent(ChildEvent::Kind kind, const ChildSpec& spec, pid_t pid, int restarts, std::string detail) {
  ChildEvent ev;
  ev.kind = kind;
  ev.id = spec.id;
  ev.role = spec.role;
  ev.pid = pid;
  ev.restarts = restarts;
  ev.detail = std::move(detail);
  return ev;
}

bool IsStopSignal(int sig) { return sig == SIGTERM || sig == SIGINT || sig == SIGQUIT || sig == SIGKILL; }

const char* PlacementWord(config::Placement p) {
  switch (p) {
    case config::Placement::kFork: return "fork";
    case config::Placement::kSlurm: return "slurm";
    case config::Placement::kExternal: return "external";
  }
  return "?";
}

Launchers ForkOnly() {
  Launchers l;
  l[config::Placement::kFork] = std::make_unique<ForkLauncher>();
  return l;
}

}  // namespace

Supervisor::Supervisor(Listener listener) : Supervisor(std::move(listener), ForkOnly()) {}

Supervisor::Supervisor(Listener listener, Launchers launchers)
    : listener_(std::move(listener)), launchers_(std::move(launchers)) {}

// No events from here: the listener's owner may already be half gone. Each
// launcher's destructor ends what it still runs.
Supervisor::~Supervisor() = default;

Status Supervisor::Start(const ChildSpec& spec) {
  if (stopping_) return Status::FailedPrecondition("cannot start agent " + spec.id + ": the supervisor is stopping");
  if (spec.argv.empty()) return Status::InvalidArgument("cannot start agent " + spec.id + ": empty command line");
  auto it = children_.find(spec.id);
  if (it != children_.end() && (it->second->active || it->second->restart_at_ms >= 0)) {
    return Status::AlreadyExists("agent " + spec.id + " is already supervised");
  }
  auto launcher = launchers_.find(spec.placement);
  if (launcher == launchers_.end() || !launcher->second) {
    return Status::InvalidArgument("cannot start agent " + spec.id + ": this runtime has no launcher for placement " +
                                   PlacementWord(spec.placement));
  }
  auto launched = launcher->second->Launch(spec);
  if (!launched.ok()) return launched.status().WithContext("cannot start agent " + spec.id);
  auto child = std::make_unique<Child>(spec, *launcher->second);
  Started(*child, *launched, 0);
  children_[spec.id] = std::move(child);  // replaces a finished one
  Flush();
  return Status::OK();
}

void Supervisor::Started(Child& c, const Launched& l, int restarts) {
  c.active = true;
  c.running = l.running;
  c.pid = l.pid;
  c.job_id = l.job_id;
  c.node = l.node;
  c.killed = false;
  ChildEvent ev = MakeEvent(l.running ? ChildEvent::Kind::kStarted : ChildEvent::Kind::kQueued, c.spec, l.pid,
                            restarts, l.detail);
  ev.job_id = l.job_id;
  ev.node = l.node;
  Emit(std::move(ev));
}

void Supervisor::Spawn(Child& c) {
  c.restart_at_ms = -1;
  auto launched = c.launcher->Launch(c.spec);
  if (!launched.ok()) {
    // A failed start is one more failed exit: the backoff goes on, and
    // the window gives up on a binary (or a job spec) that stays broken.
    Emit(MakeEvent(ChildEvent::Kind::kSpawnFailed, c.spec, 0, c.tracker.restarts(),
                   "cannot start agent " + c.spec.id + ": " + launched.status().message()));
    ScheduleRestart(c, /*failed=*/true, MonoMs());
    return;
  }
  Started(c, *launched, c.tracker.restarts());
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

void Supervisor::Apply(const LaunchUpdate& u, int64_t now_ms) {
  auto it = children_.find(u.id);
  if (it == children_.end() || !it->second->active) {
    spdlog::debug("supervisor: an update about {}, which is not running, ignored: {}", u.id, u.detail);
    return;
  }
  Child& c = *it->second;
  switch (u.kind) {
    case LaunchUpdate::Kind::kQueued: {
      c.running = false;
      c.pid = 0;
      c.job_id = u.job_id;
      c.node.clear();
      ChildEvent ev = MakeEvent(ChildEvent::Kind::kQueued, c.spec, 0, c.tracker.restarts(), u.detail);
      ev.job_id = u.job_id;
      Emit(std::move(ev));
      return;
    }
    case LaunchUpdate::Kind::kRunning: {
      c.running = true;
      c.pid = u.pid;
      c.job_id = u.job_id;
      c.node = u.node;
      ChildEvent ev = MakeEvent(ChildEvent::Kind::kStarted, c.spec, u.pid, c.tracker.restarts(), u.detail);
      ev.job_id = u.job_id;
      ev.node = u.node;
      Emit(std::move(ev));
      return;
    }
    case LaunchUpdate::Kind::kEnded: {
      const bool failed = c.killed || !u.clean;
      c.active = false;
      c.running = false;
      c.pid = 0;
      c.killed = false;
      c.node.clear();
      ChildEvent ev = MakeEvent(ChildEvent::Kind::kExited, c.spec, u.pid, c.tracker.restarts(), u.detail);
      ev.job_id = u.job_id;
      ev.clean = u.clean;
      Emit(std::move(ev));
      c.job_id.clear();
      if (stopping_ || c.stop_requested) return;
      ScheduleRestart(c, failed, now_ms);
      return;
    }
  }
}

void Supervisor::Reap() {
  const int64_t now = MonoMs();
  for (auto& [placement, launcher] : launchers_) {
    for (const auto& u : launcher->Reap()) Apply(u, now);
  }
  Flush();
}

void Supervisor::Tick(int64_t now_ms) {
  // Launchers look even while stopping: a job's end is only seen this way.
  for (auto& [placement, launcher] : launchers_) {
    for (const auto& u : launcher->Poll(now_ms)) Apply(u, now_ms);
  }
  if (!stopping_) {
    for (auto& [id, c] : children_) {
      if (!c->active && c->restart_at_ms >= 0 && now_ms >= c->restart_at_ms) Spawn(*c);
    }
  }
  Flush();
}

int64_t Supervisor::MsUntilNextRestart(int64_t now_ms) const {
  if (stopping_) return -1;
  int64_t best = -1;
  auto consider = [&](int64_t d) {
    if (d >= 0 && (best < 0 || d < best)) best = d;
  };
  for (const auto& [id, c] : children_) {
    if (c->active || c->restart_at_ms < 0) continue;
    consider(std::max<int64_t>(0, c->restart_at_ms - now_ms));
  }
  for (const auto& [placement, launcher] : launchers_) consider(launcher->MsUntilPoll(now_ms));
  return best;
}

void Supervisor::Kill(const std::string& id, const std::string& reason) {
  auto it = children_.find(id);
  if (it == children_.end() || !it->second->active) return;
  Child& c = *it->second;
  spdlog::debug("supervisor: killing agent {} ({}): {}", id,
                c.job_id.empty() ? "pid " + std::to_string(c.pid) : "Slurm job " + c.job_id, reason);
  c.killed = true;
  c.launcher->Signal(id, SIGKILL);
}

void Supervisor::StopAll(int sig) {
  stopping_ = true;
  for (auto& [id, c] : children_) c->restart_at_ms = -1;
  for (auto& [placement, launcher] : launchers_) launcher->StopAll(sig);
}

void Supervisor::Signal(const std::string& id, int sig) {
  auto it = children_.find(id);
  if (it == children_.end()) return;
  Child& c = *it->second;
  if (IsStopSignal(sig)) {
    c.stop_requested = true;
    c.restart_at_ms = -1;
  }
  if (c.active) c.launcher->Signal(id, sig);
}

bool Supervisor::AllExited() const {
  return std::none_of(children_.begin(), children_.end(), [](const auto& kv) { return kv.second->active; });
}

pid_t Supervisor::PidOf(const std::string& id) const {
  auto it = children_.find(id);
  return it == children_.end() || !it->second->active ? 0 : it->second->pid;
}

bool Supervisor::Active(const std::string& id) const {
  auto it = children_.find(id);
  return it != children_.end() && it->second->active;
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
