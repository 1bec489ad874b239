// SignalFd: turns signals into a readable file descriptor, so a poll loop
// (zmq::poll accepts plain fds) handles SIGTERM or SIGCHLD like any message,
// with no async-signal-safety traps. Blocks the signals while alive.
#pragma once

#include <csignal>
#include <initializer_list>
#include <optional>

#include "runtime/base/result.h"

namespace kaizen {

class SignalFd {
 public:
  static Result<SignalFd> Create(std::initializer_list<int> signals);
  SignalFd(SignalFd&& other) noexcept;
  SignalFd& operator=(SignalFd&&) = delete;
  SignalFd(const SignalFd&) = delete;
  ~SignalFd();  // closes the fd and restores the previous signal mask

  int fd() const { return fd_; }
  // The next pending signal, without blocking; nullopt when none.
  std::optional<int> Read();

 private:
  SignalFd(int fd, sigset_t old_mask) : fd_(fd), old_mask_(old_mask) {}
  int fd_ = -1;
  sigset_t old_mask_;
};

}  // namespace kaizen
