#include "runtime/base/signal_fd.h"

#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace kaizen {

Result<SignalFd> SignalFd::Create(std::initializer_list<int> signals) {
  sigset_t mask, old_mask;
  sigemptyset(&mask);
  for (int s : signals) sigaddset(&mask, s);
  if (pthread_sigmask(SIG_BLOCK, &mask, &old_mask) != 0) {
    return Status::Internal("cannot block signals");
  }
  int fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
    return Status::IOError(std::string("signalfd: ") + std::strerror(err));
  }
  return SignalFd(fd, old_mask);
}

SignalFd::SignalFd(SignalFd&& other) noexcept : fd_(other.fd_), old_mask_(other.old_mask_) { other.fd_ = -1; }

SignalFd::~SignalFd() {
  if (fd_ >= 0) {
    ::close(fd_);
    pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
  }
}

std::optional<int> SignalFd::Read() {
  signalfd_siginfo info;
  ssize_t n = ::read(fd_, &info, sizeof info);
  if (n != static_cast<ssize_t>(sizeof info)) return std::nullopt;
  return static_cast<int>(info.ssi_signo);
}

}  // namespace kaizen
