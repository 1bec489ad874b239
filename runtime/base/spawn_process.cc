// SpawnProcess: fork + execv with the child set up for supervision.
//
// Between fork and exec the child runs only async-signal-safe calls: the
// runtime has other threads (ZeroMQ I/O) whose locks (malloc, stdio) may be
// held at fork time. Everything the child needs is prepared before fork.
#include <fcntl.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>

#include "runtime/base/spawn_process.h"

namespace kaizen {
namespace {

// What the child writes to the error pipe when it cannot reach exec.
struct ChildFailure {
  int stage;
  int err;
};

enum Stage : int { kExec = 0, kStdin, kStdout, kStderr };

const char* StageName(int stage) {
  switch (stage) {
    case kStdin: return "redirecting stdin: ";
    case kStdout: return "redirecting stdout to the log: ";
    case kStderr: return "redirecting stderr to the log: ";
    default: return "";
  }
}

// Moves fd to a number >= 3 (CLOEXEC), so that the child's dup2 onto 0/1/2
// never overwrites one source with another and always clears CLOEXEC on
// the target (dup2 onto the same number would be a no-op that keeps it).
int AboveStdio(int fd) {
  if (fd < 0 || fd > 2) return fd;
  int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
  int e = errno;
  ::close(fd);
  errno = e;
  return moved;
}

void CloseIfOpen(int fd) {
  if (fd >= 0) ::close(fd);
}

[[noreturn]] void ChildFail(int err_fd, int stage, int err) {
  ChildFailure f{stage, err};
  // A short pipe write is atomic; nothing else can be done about a failure.
  (void)!::write(err_fd, &f, sizeof f);
  ::_exit(127);
}

// Closes every fd >= 3 except keep (the CLOEXEC error pipe, which exec closes).
void CloseOtherFds(int keep, int max_fd) {
  bool ok = true;
  if (keep > 3 && ::syscall(SYS_close_range, 3U, static_cast<unsigned>(keep - 1), 0U) != 0) ok = false;
  if (ok && ::syscall(SYS_close_range, static_cast<unsigned>(keep + 1), ~0U, 0U) != 0) ok = false;
  if (ok) return;
  // Kernels before 5.9: no close_range. /proc/self/fd would need opendir
  // (malloc), so close by number up to the limit measured before fork.
  for (int fd = 3; fd < max_fd; ++fd) {
    if (fd != keep) ::close(fd);
  }
}

// The child, after fork. Returns only through exec or _exit.
[[noreturn]] void RunChild(char* const* args, pid_t parent, int log_fd, int null_fd, int err_fd, int max_fd) {
  // Own process group: a terminal's Ctrl-C reaches the runtime alone, which
  // then drains its agents in order.
  ::setpgid(0, 0);
  // Die with the runtime, even when it is SIGKILLed. If the parent died
  // before prctl, the signal will never come: leave now.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(127);

  // Ignored signals and the mask survive exec (the runtime ignores SIGPIPE
  // and blocks SIGCHLD/SIGTERM/SIGINT for its signalfd). Reset dispositions
  // first, then unblock, so no signal reaches a handler copied from the runtime.
  struct sigaction dfl;
  std::memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  for (int s = 1; s < NSIG; ++s) ::sigaction(s, &dfl, nullptr);  // KILL/STOP fail harmlessly
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);

  if (::dup2(null_fd, 0) < 0) ChildFail(err_fd, kStdin, errno);
  if (::dup2(log_fd, 1) < 0) ChildFail(err_fd, kStdout, errno);
  if (::dup2(log_fd, 2) < 0) ChildFail(err_fd, kStderr, errno);
  // The runtime's ZeroMQ sockets and SQLite files must not leak into agents.
  CloseOtherFds(err_fd, max_fd);

  ::execv(args[0], args);
  ChildFail(err_fd, kExec, errno);
}

}  // namespace

Result<pid_t> SpawnProcess(const std::vector<std::string>& argv, const std::string& log_path) {
  if (argv.empty() || argv[0].empty()) return Status::InvalidArgument("empty command line");
  if (log_path.empty()) return Status::InvalidArgument("no log path for " + argv[0]);

  const std::filesystem::path parent_dir = std::filesystem::path(log_path).parent_path();
  if (!parent_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent_dir, ec);
    if (ec) return Status::IOError("cannot create log directory " + parent_dir.string() + ": " + ec.message());
  }
  int log_fd = AboveStdio(::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
  if (log_fd < 0) return Status::IOError("cannot open log " + log_path + ": " + std::strerror(errno));
  int null_fd = AboveStdio(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (null_fd < 0) {
    int e = errno;
    ::close(log_fd);
    return Status::IOError(std::string("cannot open /dev/null: ") + std::strerror(e));
  }
  // Exec failure travels back through a CLOEXEC pipe: a successful exec
  // closes it, so the parent reads 0 bytes; a failed one writes errno.
  int pipe_fds[2] = {-1, -1};
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    int e = errno;
    ::close(log_fd);
    ::close(null_fd);
    return Status::IOError(std::string("cannot create a pipe: ") + std::strerror(e));
  }
  int err_read = AboveStdio(pipe_fds[0]);
  int err_write = AboveStdio(pipe_fds[1]);
  if (err_read < 0 || err_write < 0) {
    int e = errno;
    for (int fd : {log_fd, null_fd, err_read, err_write}) CloseIfOpen(fd);
    return Status::IOError(std::string("cannot create a pipe: ") + std::strerror(e));
  }

  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  struct rlimit nofile {};
  int max_fd = 65536;
  if (::getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur != RLIM_INFINITY && nofile.rlim_cur < 1048576) {
    max_fd = static_cast<int>(nofile.rlim_cur);
  }
  const pid_t parent = ::getpid();

  // All signals blocked across fork: the child must not run one of the
  // runtime's handlers before it has reset them.
  sigset_t all, old_mask;
  sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &old_mask);
  pid_t pid = ::fork();
  if (pid == 0) RunChild(args.data(), parent, log_fd, null_fd, err_write, max_fd);
  int fork_errno = errno;
  ::pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);

  ::close(log_fd);
  ::close(null_fd);
  ::close(err_write);
  if (pid < 0) {
    ::close(err_read);
    return Status::IOError(std::string("fork: ") + std::strerror(fork_errno));
  }
  // Also from this side, so the group exists before we might signal it.
  // Fails harmlessly (EACCES) once the child has exec'd; it did it itself.
  ::setpgid(pid, pid);

  ChildFailure failure{};
  ssize_t n;
  do {
    n = ::read(err_read, &failure, sizeof failure);
  } while (n < 0 && errno == EINTR);
  ::close(err_read);
  if (n == 0) return pid;  // exec succeeded

  // The child never reached exec: it has exited (or is about to); reap it.
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (n != static_cast<ssize_t>(sizeof failure)) {
    return Status::IOError(argv[0] + ": the child failed before exec (lost its error report)");
  }
  return Status::IOError(argv[0] + ": " + StageName(failure.stage) + std::strerror(failure.err));
}

}  // namespace kaizen
