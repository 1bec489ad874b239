#include "agents/training/trainer_process.h"

#include <signal.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <spdlog/fmt/fmt.h>

#include "runtime/base/clock.h"
#include "runtime/base/spawn_process.h"

namespace kaizen::agents {

namespace fs = std::filesystem;

Result<std::unique_ptr<TrainerProcess>> TrainerProcess::Start(const std::vector<std::string>& argv,
                                                              const std::string& log_path, int64_t timeout_ms,
                                                              std::size_t tail_lines) {
  std::unique_ptr<TrainerProcess> p(new TrainerProcess());
  p->log_path_ = log_path;
  p->tail_lines_ = tail_lines == 0 ? 1 : tail_lines;
  std::error_code ec;
  fs::create_directories(fs::path(log_path).parent_path(), ec);
  // The log may hold earlier runs: read only what this one appends.
  p->log_offset_ = fs::exists(log_path, ec) ? fs::file_size(log_path, ec) : 0;
  if (ec) p->log_offset_ = 0;
  auto pid = SpawnProcess(argv, log_path);
  if (!pid.ok()) return pid.status();
  p->pid_ = *pid;
  p->started_ms_ = MonoMs();
  p->deadline_ms_ = p->started_ms_ + timeout_ms;
  return p;
}

TrainerProcess::~TrainerProcess() { Kill(); }

void TrainerProcess::ReadLog(const LineFn& on_line) {
  std::ifstream in(log_path_, std::ios::binary);
  if (!in) return;
  in.seekg(static_cast<std::streamoff>(log_offset_));
  std::string chunk((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  log_offset_ += chunk.size();
  partial_ += chunk;
  std::size_t start = 0, nl;
  while ((nl = partial_.find('\n', start)) != std::string::npos) {
    std::string line = partial_.substr(start, nl - start);
    start = nl + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    tail_.push_back(line);
    if (tail_.size() > tail_lines_) tail_.pop_front();
    if (on_line) on_line(line);
  }
  partial_.erase(0, start);
}

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

std::vector<std::string> TrainerProcess::Tail() const {
  std::vector<std::string> out(tail_.begin(), tail_.end());
  if (!partial_.empty()) out.push_back(partial_);
  if (out.size() > tail_lines_) out.erase(out.begin(), out.end() - static_cast<std::ptrdiff_t>(tail_lines_));
  return out;
}

int64_t TrainerProcess::elapsed_ms() const { return MonoMs() - started_ms_; }

}  // namespace kaizen::agents
