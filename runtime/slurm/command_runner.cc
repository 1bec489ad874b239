// SystemCommandRunner: one short command (sbatch, scontrol, ...) as a child
// process, synchronously: stdin from a string, stdout and stderr captured
// through pipes, killed at its timeout. No shell: argv goes to execvp as is.
//
// Between fork and exec the child runs only async-signal-safe calls (the
// caller may have other threads holding malloc's locks); everything it needs
// is prepared before fork, as in base/spawn_process.cc.
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "runtime/base/clock.h"
#include "runtime/slurm/slurm_client.h"

namespace kaizen::slurm {
namespace {

// Closes the fds it holds when it goes out of scope.
struct Fd {
  int fd = -1;
  Fd() = default;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { Close(); }
  void Close() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

bool MakePipe(Fd& read_end, Fd& write_end) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return false;
  read_end.fd = fds[0];
  write_end.fd = fds[1];
  return true;
}

[[noreturn]] void ChildExec(char* const* args, int in_fd, int out_fd, int err_fd, int report_fd) {
  ::setpgid(0, 0);  // its own group: a timeout kills what it started too
  struct sigaction dfl;
  std::memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  for (int s = 1; s < NSIG; ++s) ::sigaction(s, &dfl, nullptr);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  int err = 0;
  if (::dup2(in_fd, 0) < 0 || ::dup2(out_fd, 1) < 0 || ::dup2(err_fd, 2) < 0) {
    err = errno;
  } else {
    // 0-2 are set; everything else (the caller's sockets) must not leak.
    ::syscall(SYS_close_range, 3U, static_cast<unsigned>(report_fd > 3 ? report_fd - 1 : 2), 0U);
    ::syscall(SYS_close_range, static_cast<unsigned>(report_fd + 1), ~0U, 0U);
    ::execvp(args[0], args);
    err = errno;
  }
  // The report pipe is CLOEXEC: the parent reads 0 bytes when exec worked.
  (void)!::write(report_fd, &err, sizeof err);
  ::_exit(127);
}

// Moves fd above 2 so the child's dup2 onto 0-2 never clobbers another source.
bool AboveStdio(Fd& f) {
  if (f.fd > 2) return true;
  const int moved = ::fcntl(f.fd, F_DUPFD_CLOEXEC, 3);
  f.Close();
  f.fd = moved;
  return moved >= 0;
}

void KillAndReap(pid_t pid, int* status) {
  ::kill(-pid, SIGKILL);
  ::kill(pid, SIGKILL);
  while (::waitpid(pid, status, 0) < 0 && errno == EINTR) {
  }
}

Result<CommandOutput> RunCommand(const std::vector<std::string>& argv, const std::string& input,
                                 int64_t timeout_ms) {
  if (argv.empty() || argv[0].empty()) return Status::InvalidArgument("empty command line");
  Fd in_r, in_w, out_r, out_w, err_r, err_w, rep_r, rep_w;
  if (!MakePipe(in_r, in_w) || !MakePipe(out_r, out_w) || !MakePipe(err_r, err_w) || !MakePipe(rep_r, rep_w) ||
      !AboveStdio(in_r) || !AboveStdio(out_w) || !AboveStdio(err_w) || !AboveStdio(rep_w)) {
    return Status::IOError(argv[0] + ": cannot create pipes: " + std::strerror(errno));
  }
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  sigset_t all, old_mask;
  sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &old_mask);
  const pid_t pid = ::fork();
  if (pid == 0) ChildExec(args.data(), in_r.fd, out_w.fd, err_w.fd, rep_w.fd);
  const int fork_errno = errno;
  ::pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  in_r.Close();
  out_w.Close();
  err_w.Close();
  rep_w.Close();
  if (pid < 0) return Status::IOError(argv[0] + ": fork: " + std::strerror(fork_errno));

  int exec_errno = 0;
  ssize_t n;
  do {
    n = ::read(rep_r.fd, &exec_errno, sizeof exec_errno);
  } while (n < 0 && errno == EINTR);
  if (n > 0) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return Status::IOError(argv[0] + ": cannot run it: " + std::strerror(exec_errno));
  }

  // Writing to a child that exited early must not raise SIGPIPE here:
  // non-blocking writes, and EPIPE just ends the input.
  ::fcntl(in_w.fd, F_SETFL, O_NONBLOCK);
  sigset_t pipe_set, before;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  ::pthread_sigmask(SIG_BLOCK, &pipe_set, &before);
  bool got_epipe = false;

  CommandOutput result;
  std::size_t written = 0;
  if (input.empty()) in_w.Close();
  const int64_t deadline = MonoMs() + timeout_ms;
  bool timed_out = false;
  char buf[8192];
  while (out_r.fd >= 0 || err_r.fd >= 0) {
    const int64_t left = deadline - MonoMs();
    if (left <= 0) {
      timed_out = true;
      break;
    }
    pollfd fds[3];
    int count = 0;
    for (int fd : {out_r.fd, err_r.fd}) {
      if (fd >= 0) fds[count++] = {fd, POLLIN, 0};
    }
    if (in_w.fd >= 0) fds[count++] = {in_w.fd, POLLOUT, 0};
    const int ready = ::poll(fds, static_cast<nfds_t>(count), static_cast<int>(std::min<int64_t>(left, 1000)));
    if (ready < 0 && errno != EINTR) break;
    for (int i = 0; i < count && ready > 0; ++i) {
      if (fds[i].revents == 0) continue;
      if (fds[i].fd == in_w.fd) {
        const ssize_t w = ::write(in_w.fd, input.data() + written, input.size() - written);
        if (w > 0) written += static_cast<std::size_t>(w);
        if (w < 0 && errno == EPIPE) got_epipe = true;
        if ((w < 0 && errno != EAGAIN && errno != EINTR) || written == input.size()) in_w.Close();
        continue;
      }
      Fd& src = fds[i].fd == out_r.fd ? out_r : err_r;
      std::string& dst = fds[i].fd == out_r.fd ? result.out : result.err;
      const ssize_t r = ::read(src.fd, buf, sizeof buf);
      if (r > 0) {
        dst.append(buf, static_cast<std::size_t>(r));
      } else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
        src.Close();
      }
    }
  }
  in_w.Close();
  if (got_epipe) {
    // Take the SIGPIPE our write raised, unless one was pending before.
    sigset_t pending;
    sigpending(&pending);
    if (sigismember(&pending, SIGPIPE) && !sigismember(&before, SIGPIPE)) {
      const timespec zero{0, 0};
      ::sigtimedwait(&pipe_set, nullptr, &zero);
    }
  }
  ::pthread_sigmask(SIG_SETMASK, &before, nullptr);

  int status = 0;
  if (timed_out) {
    KillAndReap(pid, &status);
    return Status::Timeout(argv[0] + " did not finish within " + std::to_string(timeout_ms) + " ms (killed)");
  }
  // Output closed: the command is ending; wait for it within what is left.
  for (;;) {
    const pid_t got = ::waitpid(pid, &status, WNOHANG);
    if (got == pid) break;
    if (got < 0 && errno != EINTR) return Status::IOError(argv[0] + ": waitpid: " + std::strerror(errno));
    if (MonoMs() >= deadline) {
      KillAndReap(pid, &status);
      return Status::Timeout(argv[0] + " did not exit within " + std::to_string(timeout_ms) + " ms (killed)");
    }
    ::usleep(2000);
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

}  // namespace

CommandRunner SystemCommandRunner() { return RunCommand; }

}  // namespace kaizen::slurm
