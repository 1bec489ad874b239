// Supervisor: one child per agent, restarted by policy with exponential
// backoff. How a child is started, watched and signalled is its launcher's
// (child_launcher.h): a process forked here, which dies with the runtime
// (PR_SET_PDEATHSIG) even when the runtime is killed with SIGKILL
// (fork_launcher.h), or a Slurm batch job (slurm_launcher.h). The restart
// policy is here and only here, the same for every launcher.
//
// Single-threaded: the runtime's loop calls Reap() when SIGCHLD arrives and
// Tick() on every turn. Spawning must happen on the thread that lives as long
// as the runtime (PDEATHSIG fires when the *forking thread* exits).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/manifest.h"
#include "runtime/base/result.h"
#include "runtime/base/status.h"
#include "runtime/supervisor/child_launcher.h"

namespace kaizen::supervisor {

// What happened to a child, for the runtime to journal.
struct ChildEvent {
  enum class Kind {
    kStarted,           // it runs: a process forked, or a job that left the queue (pid 0, job_id and node set)
    kExited,            // it ended (a process exited, a job finished, failed, was cancelled or preempted)
    kRestartScheduled,
    kGaveUp,
    kSpawnFailed,
    kQueued,            // submitted but not running yet: "Slurm job 42 pending (reason: Resources)"
  };
  Kind kind = Kind::kStarted;
  std::string id;
  std::string role;
  pid_t pid = 0;
  int restarts = 0;                   // restarts so far
  std::string detail;                 // "exited with code 3", "killed by signal 9 (SIGKILL)", "restart 1 in 500 ms"
  std::string job_id;                 // a Slurm job's id (kQueued, kStarted, kExited)
  std::string node;                   // kStarted of a job: the node it runs on
  bool clean = false;                 // kExited: it ended by itself with exit code 0
};

// The launcher for each placement a child may ask for.
using Launchers = std::map<config::Placement, std::unique_ptr<ChildLauncher>>;

class Supervisor {
 public:
  using Listener = std::function<void(const ChildEvent&)>;

  // Forked children only (a ForkLauncher for Placement::kFork).
  explicit Supervisor(Listener listener);
  // These launchers; a child whose placement has none cannot start.
  Supervisor(Listener listener, Launchers launchers);
  ~Supervisor();                      // each launcher ends what it still runs (SIGKILL, scancel)
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  // Registers and starts a child now. An id whose child has finished for
  // good (stopped, or given up on) may be started again with a fresh spec;
  // one that is running or waiting for a restart is AlreadyExists. On
  // failure nothing is registered: IOError "cannot start agent ID: ...".
  Status Start(const ChildSpec& spec);

  // Collects exited children (waitpid WNOHANG) and schedules restarts by policy.
  void Reap();
  // Lets each launcher look at its children (a Slurm poll, at most one
  // command, every poll interval) and, unless stopping, performs restarts
  // whose backoff delay has passed. now_ms is MonoMs().
  void Tick(int64_t now_ms);
  // Milliseconds until the next scheduled restart or launcher poll, or -1 if
  // none (for poll timeouts). -1 once stopping.
  int64_t MsUntilNextRestart(int64_t now_ms) const;

  // The child is gone in the runtime's eyes (e.g. missed heartbeats): SIGKILL
  // it (scancel a job); its end then counts as a failure and it is restarted
  // by policy.
  void Kill(const std::string& id, const std::string& reason);

  // Shutdown: no more restarts for anyone; signal every running child.
  // SIGKILL goes to each child's whole process group (scancel for a job);
  // other signals to the child alone (it drains and stops its own helpers;
  // scancel --signal for a job).
  void StopAll(int sig);
  // A stop signal (SIGTERM, SIGINT, SIGQUIT, SIGKILL) means "stop this one":
  // its exit is not restarted and a pending restart is cancelled. Other
  // signals are passed on and change nothing.
  void Signal(const std::string& id, int sig);
  // No child launched and not yet ended (a queued job counts as not ended).
  bool AllExited() const;

  pid_t PidOf(const std::string& id) const;     // 0 if not running as a process here (a job has none)
  // Launched and its end not yet seen: a running process, or a job queued or running.
  bool Active(const std::string& id) const;
  int RestartsOf(const std::string& id) const;
  std::vector<std::string> Ids() const;

 private:
  struct Child;
  void Spawn(Child& c);
  void Started(Child& c, const Launched& l, int restarts);
  void Apply(const LaunchUpdate& u, int64_t now_ms);
  void ScheduleRestart(Child& c, bool failed, int64_t now_ms);
  // Events are queued while state changes and delivered after, so a
  // listener may call back into the Supervisor (even Start the same id).
  void Emit(ChildEvent ev);
  void Flush();
  Listener listener_;
  Launchers launchers_;
  bool stopping_ = false;
  std::map<std::string, std::unique_ptr<Child>> children_;
  std::vector<ChildEvent> pending_;
  bool flushing_ = false;
};

// Backoff bookkeeping, separate so it can be tested without processes.
class RestartTracker {
 public:
  explicit RestartTracker(const config::RestartSpec& spec);
  // Records a failure at now_ms (MonoMs). Returns the delay before the next
  // start, or -1 when the policy says give up (too many restarts in the window).
  int64_t OnExit(int64_t now_ms, bool failed);
  int restarts() const { return restarts_; }
  // Why the last OnExit returned -1.
  const std::string& give_up_reason() const { return give_up_reason_; }

 private:
  config::RestartSpec spec_;
  int restarts_ = 0;
  std::vector<int64_t> recent_;       // exit times within the window
  std::string give_up_reason_;
};

}  // namespace kaizen::supervisor
