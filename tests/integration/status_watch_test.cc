// `kaizen status --watch` against a real cluster: in a pseudo-terminal it
// redraws in place (ANSI home/clear, lines clipped to the terminal's 80
// columns) and stops on Ctrl-C with the cursor restored; on a pipe it prints
// plain frames; either way it ends by itself when the cluster goes down.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "tests/integration/cluster_harness.h"

using kaizen::testing::TestCluster;
using kaizen::testing::WaitFor;

namespace {

// A `kaizen status --watch` child whose stdout is a pty (tty) or a pipe.
class Watcher {
 public:
  Watcher(const std::string& state_dir, bool tty) {
    const std::string dir = state_dir;
    if (tty) {
      winsize ws{};
      ws.ws_col = 80;
      ws.ws_row = 40;
      pid_ = ::forkpty(&fd_, nullptr, nullptr, &ws);
    } else {
      int p[2];
      REQUIRE(::pipe(p) == 0);
      pid_ = ::fork();
      if (pid_ == 0) {
        ::dup2(p[1], STDOUT_FILENO);
        ::close(p[0]);
        ::close(p[1]);
      } else {
        ::close(p[1]);
        fd_ = p[0];
      }
    }
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      ::execl(KAIZEN_BINARY, KAIZEN_BINARY, "status", "--watch", "--interval", "200", "--state-dir", dir.c_str(),
              static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::fcntl(fd_, F_SETFL, O_NONBLOCK);
  }
  ~Watcher() {
    if (pid_ > 0 && !exited_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (fd_ >= 0) ::close(fd_);
  }
  // Reads what is there (waiting up to ms for more).
  void Drain(int ms) {
    pollfd p{fd_, POLLIN, 0};
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (std::chrono::steady_clock::now() < until) {
      if (::poll(&p, 1, 20) <= 0) continue;
      char buf[4096];
      ssize_t n = ::read(fd_, buf, sizeof buf);
      if (n > 0) out_.append(buf, static_cast<size_t>(n));
      else if (n == 0 || (n < 0 && errno != EAGAIN)) break;  // EIO on a pty once the child is gone
    }
  }
  // Waits for the child to exit; its exit code, or -1.
  int Wait(int timeout_ms) {
    int status = 0;
    bool done = WaitFor([&] {
      Drain(10);
      return ::waitpid(pid_, &status, WNOHANG) == pid_;
    }, timeout_ms);
    if (!done) return -1;
    exited_ = true;
    Drain(100);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  pid_t pid() const { return pid_; }
  const std::string& out() const { return out_; }

 private:
  pid_t pid_ = -1;
  int fd_ = -1;
  bool exited_ = false;
  std::string out_;
};

size_t Count(const std::string& hay, const std::string& needle) {
  size_t n = 0;
  for (size_t p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("status --watch redraws in a terminal within 80 columns, stops on Ctrl-C, and prints plain frames to a pipe",
          "[integration]") {
  TestCluster cluster("watch");
  REQUIRE(cluster.Up().exit_code == 0);
  REQUIRE(cluster.WaitAllInState("idle", 30000));

  Watcher tty(cluster.state_dir(), true);
  // Until a few frames came (a busy machine may be slow to start the first).
  WaitFor([&] { tty.Drain(20); return Count(tty.out(), "\x1b[H") >= 4; }, 15000);
  REQUIRE(::kill(tty.pid(), SIGINT) == 0);
  CHECK(tty.Wait(5000) == 0);
  const std::string& t = tty.out();
  INFO(t);
  CHECK(Count(t, "\x1b[H") >= 3);                 // home, once per frame: redrawn in place
  CHECK(t.find("\x1b[2J") != std::string::npos);  // cleared once
  CHECK(t.rfind("\x1b[?25h") != std::string::npos);  // the cursor is given back
  CHECK(t.find("AGENT") != std::string::npos);
  CHECK(t.find("worker") != std::string::npos);
  CHECK(t.find("cycle: none") != std::string::npos);
  // Every line fits 80 columns once the escape codes are taken out.
  std::string plain;
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i] == '\x1b') {
      while (i < t.size() && !std::isalpha(static_cast<unsigned char>(t[i]))) ++i;
      continue;
    }
    if (t[i] != '\r') plain += t[i];
  }
  size_t longest = 0, start = 0;
  while (start < plain.size()) {
    size_t end = plain.find('\n', start);
    if (end == std::string::npos) end = plain.size();
    longest = std::max(longest, end - start);
    start = end + 1;
  }
  CHECK(longest <= 80);

  Watcher pipe(cluster.state_dir(), false);
  WaitFor([&] { pipe.Drain(20); return Count(pipe.out(), "Ctrl-C to stop") >= 2; }, 15000);
  REQUIRE(::kill(pipe.pid(), SIGINT) == 0);
  CHECK(pipe.Wait(5000) == 0);
  INFO(pipe.out());
  CHECK(pipe.out().find('\x1b') == std::string::npos);  // no escape codes on a pipe
  CHECK(Count(pipe.out(), "Ctrl-C to stop") >= 2);      // one header per frame
}

TEST_CASE("status --watch ends by itself when the cluster goes down", "[integration]") {
  TestCluster cluster("watch-down");
  REQUIRE(cluster.Up().exit_code == 0);
  REQUIRE(cluster.WaitAllInState("idle", 30000));
  Watcher w(cluster.state_dir(), false);
  // Watching for real (a first frame drawn) before the cluster goes.
  REQUIRE(WaitFor([&] { w.Drain(20); return Count(w.out(), "Ctrl-C to stop") >= 1; }, 15000));
  REQUIRE(cluster.Down().exit_code == 0);
  CHECK(w.Wait(10000) == 0);
  INFO(w.out());
  CHECK(w.out().find("the cluster went down") != std::string::npos);
}
