// ForkLauncher: agents as child processes; see fork_launcher.h.
#include "runtime/supervisor/fork_launcher.h"

#include <sys/wait.h>

#include <cerrno>
#include <csignal>
#include <cstring>

#include "runtime/base/spawn_process.h"

namespace kaizen::supervisor {
namespace {

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

std::string DescribeWaitStatus(int status) {
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

ForkLauncher::~ForkLauncher() {
  for (auto& [id, pid] : pids_) {
    SendSignal(pid, SIGKILL);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
}

Result<Launched> ForkLauncher::Launch(const ChildSpec& spec) {
  auto pid = SpawnProcess(spec.argv, spec.log_path);
  if (!pid.ok()) return pid.status();
  pids_[spec.id] = *pid;
  Launched l;
  l.running = true;
  l.pid = *pid;
  l.detail = "pid " + std::to_string(*pid);
  return l;
}

std::vector<LaunchUpdate> ForkLauncher::Reap() {
  std::vector<LaunchUpdate> ended;
  // waitpid on our own pids only: waitpid(-1) would steal children that other
  // parts of the process started and wait for.
  for (auto it = pids_.begin(); it != pids_.end();) {
    int status = 0;
    pid_t r;
    do {
      r = ::waitpid(it->second, &status, WNOHANG);
    } while (r < 0 && errno == EINTR);
    if (r == 0) {
      ++it;
      continue;
    }
    LaunchUpdate u;
    u.kind = LaunchUpdate::Kind::kEnded;
    u.id = it->first;
    u.pid = it->second;
    if (r < 0) {
      // ECHILD: someone reaped it behind our back (waitpid(-1) elsewhere, or
      // SIGCHLD ignored). It is gone all the same.
      u.detail = "exited (status unknown: reaped elsewhere)";
    } else {
      u.detail = DescribeWaitStatus(status);
      u.clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    }
    ended.push_back(std::move(u));
    it = pids_.erase(it);
  }
  return ended;
}

void ForkLauncher::Signal(const std::string& id, int sig) {
  if (auto it = pids_.find(id); it != pids_.end()) SendSignal(it->second, sig);
}

void ForkLauncher::StopAll(int sig) {
  for (auto& [id, pid] : pids_) SendSignal(pid, sig);
}

}  // namespace kaizen::supervisor
