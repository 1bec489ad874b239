// TrainerProcess: one trainer run as a child process (the built-in
// `kaizen train-model`, or a user's command), watched without blocking.
//
// The child gets its own process group with stdout and stderr appended to a
// log file (base/spawn_process.h). Poll() reads the log lines written
// since the last call, hands each complete line to the callback, reaps the
// child, and past the deadline kills the whole process group. The last lines
// are kept so that a failure can quote them. The destructor kills a child that
// is still running: a trainer never outlives its owner's interest in it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agents/training/log_follower.h"
#include "runtime/base/result.h"

namespace kaizen::agents {

class TrainerProcess {
 public:
  enum class State { kRunning, kExited, kTimedOut, kLost };
  using LineFn = std::function<void(const std::string& line)>;

  // Starts argv (argv[0] is an executable path) with output appended to
  // log_path; it is killed when still running timeout_ms from now.
  static Result<std::unique_ptr<TrainerProcess>> Start(const std::vector<std::string>& argv,
                                                       const std::string& log_path, int64_t timeout_ms,
                                                       std::size_t tail_lines = 5);
  ~TrainerProcess();
  TrainerProcess(const TrainerProcess&) = delete;
  TrainerProcess& operator=(const TrainerProcess&) = delete;

  // Reads new log lines (each to on_line), then checks the child. kExited:
  // wait_status() says how; kTimedOut: it was killed; kLost: it was reaped
  // elsewhere and its outcome is unknown. Once not kRunning, stays so.
  State Poll(const LineFn& on_line);
  // Kills the process group now (SIGKILL) and reaps the child.
  void Kill();

  pid_t pid() const { return pid_; }
  int wait_status() const { return wait_status_; }
  bool succeeded() const;                   // exited with code 0
  std::string DescribeExit() const;         // "exited with code 3", "killed by signal 9 (Killed)"
  const std::string& log_path() const { return log_->path(); }
  // The last lines of output, an unfinished last line included.
  std::vector<std::string> Tail() const;
  int64_t elapsed_ms() const;

 private:
  TrainerProcess() = default;
  void ReadLog(const LineFn& on_line) { log_->Read(on_line); }

  pid_t pid_ = 0;
  State state_ = State::kRunning;
  int wait_status_ = 0;
  std::optional<LogFollower> log_;
  int64_t started_ms_ = 0, deadline_ms_ = 0;
};

}  // namespace kaizen::agents
