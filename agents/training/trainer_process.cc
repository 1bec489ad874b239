#include "agents/training/trainer_process.h"

#include <signal.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <spdlog/fmt/fmt.h>

#include "runtime/base/clock.h"
#include "runtime/base/spawn_process.h"

namespace kaizen::agents {

namespace fs = std::filesystem;

Result<std::unique_ptr<TrainerProcess>> TrainerProcess::Start(const std::vector<std::string>& argv,
                                                              const std::string& log_path, int64_t timeout_ms,
                                                              std::size_t tail_lines) {
  std::unique_ptr<TrainerProcess> p(new TrainerProcess());
  std::error_code ec;
  fs::create_directories(fs::path(log_path).parent_path(), ec);
  // The log may hold earlier runs: read only what this one appends.
  p->log_.emplace(log_path, tail_lines);
  auto pid = SpawnProcess(argv, log_path);
  if (!pid.ok()) return pid.status();
  p->pid_ = *pid;
  p->started_ms_ = MonoMs();
  p->deadline_ms_ = p->started_ms_ + timeout_ms;
  return p;
}

TrainerProcess::~TrainerProcess() { Kill(); }

TrainerProcess::State TrainerProcess::Poll(const LineFn& on_line) {
  if (state_ != State::kRunning) return state_;
  ReadLog(on_line);
  int st = 0;
  pid_t got = ::waitpid(pid_, &st, WNOHANG);
  if (got == pid_) {
    pid_ = 0;
    wait_status_ = st;
    ReadLog(on_line);  // what it wrote just before exiting
    state_ = State::kExited;
  } else if (got < 0 && errno == ECHILD) {
    pid_ = 0;
    state_ = State::kLost;
  } else if (MonoMs() >= deadline_ms_) {
    Kill();
    ReadLog(on_line);
    state_ = State::kTimedOut;
  }
  return state_;
}

void TrainerProcess::Kill() {
  if (pid_ <= 0) return;
  // The child leads its own process group (SpawnProcess): a shell script's
  // own children (python, torchrun) go with it.
  ::kill(-pid_, SIGKILL);
  ::kill(pid_, SIGKILL);
  int st = 0;
  while (::waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
  }
  wait_status_ = st;
  pid_ = 0;
}

bool TrainerProcess::succeeded() const {
  return state_ == State::kExited && WIFEXITED(wait_status_) && WEXITSTATUS(wait_status_) == 0;
}

std::string TrainerProcess::DescribeExit() const {
  switch (state_) {
    case State::kRunning: return "is still running";
    case State::kTimedOut: return "ran past its timeout and was killed";
    case State::kLost: return "vanished (reaped elsewhere; outcome unknown)";
    case State::kExited: break;
  }
  const int st = wait_status_;
  if (WIFEXITED(st)) return fmt::format("exited with code {}", WEXITSTATUS(st));
  if (WIFSIGNALED(st)) return fmt::format("was killed by signal {} ({})", WTERMSIG(st), strsignal(WTERMSIG(st)));
  return "ended";
}

std::vector<std::string> TrainerProcess::Tail() const { return log_->Tail(); }

int64_t TrainerProcess::elapsed_ms() const { return MonoMs() - started_ms_; }

}  // namespace kaizen::agents
