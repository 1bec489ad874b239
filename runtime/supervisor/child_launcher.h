// ChildLauncher: how one agent is started, watched and signalled, behind one
// interface so the Supervisor keeps the restart policy in one place whatever
// runs the agent: a process forked here (fork_launcher.h) or a Slurm batch job
// (slurm_launcher.h).
//
// Contract with the Supervisor:
// - A launcher knows at most one instance per child id. The Supervisor
//   launches an id again only after the launcher reported that instance's end
//   (LaunchUpdate::kEnded), and never calls Signal for an id it has not
//   launched or whose end was reported.
// - A launcher never decides about restarts; it only reports what became of
//   each instance, from Reap() (SIGCHLD arrived) or Poll() (every loop turn).
// - Calls are made on the runtime's single thread and never block it longer
//   than one external command (a fork, or one Slurm command).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "config/manifest.h"
#include "runtime/base/result.h"

namespace kaizen::supervisor {

struct ChildSpec {
  std::string id;                     // agent id
  std::string role;
  std::vector<std::string> argv;      // argv[0] is the executable path
  std::string log_path;               // stdout+stderr appended here
  config::RestartSpec restart;
  config::Placement placement = config::Placement::kFork;  // which launcher starts it
  config::JobResources resources;     // placement slurm: what its job asks for
};

// What Launch started.
struct Launched {
  bool running = false;   // false: accepted but waiting (a pending Slurm job)
  pid_t pid = 0;          // a forked process; 0 for a job
  std::string job_id;     // a Slurm job
  std::string node;       // where it runs, when running and known
  std::string detail;     // "pid 123", "Slurm job 42 submitted"
};

// What became of a launched instance since the last Reap/Poll.
struct LaunchUpdate {
  enum class Kind {
    kQueued,   // waiting to run (again): a pending job, with Slurm's reason in detail
    kRunning,  // it runs now (a job left the queue)
    kEnded,    // it is gone for good; the launcher forgets it
  };
  Kind kind = Kind::kEnded;
  std::string id;         // the child id
  pid_t pid = 0;
  std::string job_id, node;
  // "exited with code 3", "Slurm job 42 was cancelled", "Slurm job 42 pending (reason: Resources)"
  std::string detail;
  bool clean = false;     // kEnded: it ended by itself with exit code 0
};

class ChildLauncher {
 public:
  // Destroying a launcher ends what it still runs (SIGKILL, scancel), quietly.
  virtual ~ChildLauncher() = default;

  // Starts one instance of spec.id. An error says why, for "cannot start
  // agent ID: ..."; then nothing was started.
  virtual Result<Launched> Launch(const ChildSpec& spec) = 0;
  // SIGCHLD arrived: instances that ended.
  virtual std::vector<LaunchUpdate> Reap() { return {}; }
  // Every loop turn (now_ms is MonoMs()): what the launcher learnt when it
  // looks itself (a Slurm poll every poll interval).
  virtual std::vector<LaunchUpdate> Poll(int64_t /*now_ms*/) { return {}; }
  // Milliseconds until Poll has something to do, or -1 (for poll timeouts).
  virtual int64_t MsUntilPoll(int64_t /*now_ms*/) const { return -1; }
  // Signals a launched instance. SIGKILL ends it and everything it started,
  // now; other signals are passed on to the agent (SIGTERM: drain and exit).
  virtual void Signal(const std::string& id, int sig) = 0;
  // Shutdown: `sig` to every instance (as Signal), and from now on an
  // instance that does not end in bounded time after SIGKILL may be reported
  // ended anyway, so a shutdown always finishes.
  virtual void StopAll(int sig) = 0;
};

}  // namespace kaizen::supervisor
