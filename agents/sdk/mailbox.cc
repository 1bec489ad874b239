#include "agents/sdk/mailbox.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace kaizen::sdk {

Mailbox::Mailbox() : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  if (fd_ < 0) {
    std::fprintf(stderr, "kaizen: cannot make an eventfd for the agent's mailbox: %s\n", std::strerror(errno));
    std::abort();
  }
}

Mailbox::~Mailbox() { ::close(fd_); }

void Mailbox::Post(std::function<void()> fn) {
  bool was_empty;
  {
    std::lock_guard<std::mutex> lock(mu_);
    was_empty = queue_.empty();
    queue_.push_back(std::move(fn));
  }
  if (!was_empty) return;  // a wake-up is pending already
  const uint64_t one = 1;
  // EAGAIN means the counter is saturated: the loop is woken anyway.
  while (::write(fd_, &one, sizeof one) < 0 && errno == EINTR) {
  }
}

std::deque<std::function<void()>> Mailbox::Take() {
  uint64_t count;
  while (::read(fd_, &count, sizeof count) < 0 && errno == EINTR) {
  }
  std::lock_guard<std::mutex> lock(mu_);
  std::deque<std::function<void()>> out;
  out.swap(queue_);
  return out;
}

}  // namespace kaizen::sdk
