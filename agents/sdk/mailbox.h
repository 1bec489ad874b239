// Mailbox: work handed to an agent's loop thread from other threads (an HTTP
// server's, a client library's). Post() queues a function and wakes the loop
// through an eventfd it polls; the loop runs what was posted, in order, on
// its own thread, so handlers still never run concurrently with each other.
// Functions posted after the loop has ended are never run.
#pragma once

#include <deque>
#include <functional>
#include <mutex>

namespace kaizen::sdk {

class Mailbox {
 public:
  Mailbox();  // aborts with a message if no eventfd can be made (out of fds)
  ~Mailbox();
  Mailbox(const Mailbox&) = delete;
  Mailbox& operator=(const Mailbox&) = delete;

  // Thread-safe.
  void Post(std::function<void()> fn);
  // The fd to poll for POLLIN.
  int fd() const { return fd_; }
  // Loop thread: everything posted so far, oldest first; clears the wake-up.
  std::deque<std::function<void()>> Take();

 private:
  int fd_ = -1;
  std::mutex mu_;
  std::deque<std::function<void()>> queue_;  // guarded by mu_
};

}  // namespace kaizen::sdk
