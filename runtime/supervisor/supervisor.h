// Supervisor: one child process per agent, restarted by policy with
// exponential backoff; children die with the runtime (PR_SET_PDEATHSIG),
// even when the runtime is killed with SIGKILL.
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

namespace kaizen::supervisor {

struct ChildSpec {
  std::string id;                     // agent id
  std::string role;
  std::vector<std::string> argv;      // argv[0] is the executable path
  std::string log_path;               // stdout+stderr appended here
  config::RestartSpec restart;
};

// What happened to a child, for the runtime to journal.
struct ChildEvent {
  enum class Kind { kStarted, kExited, kRestartScheduled, kGaveUp, kSpawnFailed };
  Kind kind;
  std::string id;
  std::string role;
  pid_t pid = 0;
  int restarts = 0;                   // restarts so far
  std::string detail;                 // "exited with code 3", "killed by signal 9 (SIGKILL)", "restart 1 in 500 ms"
};

class Supervisor {
 public:
  using Listener = std::function<void(const ChildEvent&)>;

  explicit Supervisor(Listener listener);
  ~Supervisor();                      // SIGKILLs and reaps any child still running
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  // Registers and starts a child now. An id whose child has finished for
  // good (stopped, or given up on) may be started again with a fresh spec;
  // one that is running or waiting for a restart is AlreadyExists. On
  // failure nothing is registered: IOError "cannot start agent ID: ...".
  Status Start(const ChildSpec& spec);

  // Collects exited children (waitpid WNOHANG) and schedules restarts by policy.
  void Reap();
  // Performs restarts whose backoff delay has passed. now_ms is MonoMs().
  void Tick(int64_t now_ms);
  // Milliseconds until the next scheduled restart, or -1 if none (for poll timeouts).
  int64_t MsUntilNextRestart(int64_t now_ms) const;

  // The process is gone in the runtime's eyes (e.g. missed heartbeats):
  // SIGKILL it; Reap() then treats it as a failure and restarts it by policy.
  void Kill(const std::string& id, const std::string& reason);

  // Shutdown: no more restarts for anyone; signal every running child.
  // SIGKILL goes to each child's whole process group; other signals to the
  // child alone (it drains and stops its own helpers).
  void StopAll(int sig);
  // A stop signal (SIGTERM, SIGINT, SIGQUIT, SIGKILL) means "stop this one":
  // its exit is not restarted and a pending restart is cancelled. Other
  // signals are passed on and change nothing.
  void Signal(const std::string& id, int sig);
  bool AllExited() const;

  pid_t PidOf(const std::string& id) const;     // 0 if not running
  int RestartsOf(const std::string& id) const;
  std::vector<std::string> Ids() const;

 private:
  struct Child;
  void Spawn(Child& c);
  void ScheduleRestart(Child& c, bool failed, int64_t now_ms);
  // Events are queued while state changes and delivered after, so a
  // listener may call back into the Supervisor (even Start the same id).
  void Emit(ChildEvent ev);
  void Flush();
  Listener listener_;
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
