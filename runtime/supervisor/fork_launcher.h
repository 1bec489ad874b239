// ForkLauncher: an agent as a child process of the runtime (SpawnProcess: own
// process group, PDEATHSIG so it dies with the runtime). Reap() waits for its
// own pids only; SIGKILL takes the whole process group.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include "runtime/supervisor/child_launcher.h"

namespace kaizen::supervisor {

class ForkLauncher : public ChildLauncher {
 public:
  ForkLauncher() = default;
  ~ForkLauncher() override;  // SIGKILLs and reaps every process still running
  ForkLauncher(const ForkLauncher&) = delete;
  ForkLauncher& operator=(const ForkLauncher&) = delete;

  // Running at once: Launched{running=true, pid, detail "pid N"}.
  Result<Launched> Launch(const ChildSpec& spec) override;
  // waitpid(WNOHANG) on each of its pids: ended ones, with "exited with code
  // 3" / "killed by signal 9 (SIGKILL)".
  std::vector<LaunchUpdate> Reap() override;
  void Signal(const std::string& id, int sig) override;
  void StopAll(int sig) override;

 private:
  // The only pids ever signalled: set when started, erased once reaped, so a
  // recycled pid is never hit.
  std::map<std::string, pid_t> pids_;
};

// "exited with code 3", "killed by signal 9 (SIGKILL)" for a waitpid status.
// The exact words "exited with code 0" mean a clean exit to people reading the
// journal: keep them.
std::string DescribeWaitStatus(int status);

}  // namespace kaizen::supervisor
