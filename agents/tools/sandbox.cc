#include "agents/tools/sandbox.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "agents/tools/sandbox_outcome.h"
#include "agents/tools/seccomp_filter.h"
#include "agents/tools/unique_fd.h"

namespace kaizen::tools {
namespace {

constexpr const char* kBwrap = "/usr/bin/bwrap";
constexpr const char* kPython = "/usr/bin/python3";
constexpr const char* kInstallHint = "install it with scripts/install-deps.sh (as root)";
// Fixed fd numbers in the child, named on bwrap's command line.
constexpr int kProgramFd = 3, kSeccompFd = 4, kStatusFd = 5, kExecErrorFd = 6;
// Host uids handed to runs when the caller is root: above 2^30, no account there.
constexpr uid_t kUidBase = 1u << 30;

Status Errno(const std::string& what) { return Status::IOError("sandbox: " + what + ": " + std::strerror(errno)); }

// Moves `fd` to a number >= 10 (close-on-exec), so the child's dup2 onto
// 0..6 never meets a source fd.
Result<UniqueFd> High(UniqueFd fd) {
  int raised = fcntl(fd.get(), F_DUPFD_CLOEXEC, 10);
  if (raised < 0) return Errno("fcntl(F_DUPFD_CLOEXEC)");
  return UniqueFd(raised);
}

Result<UniqueFd> MemfdWith(const char* name, const std::string& text) {
  UniqueFd fd(memfd_create(name, MFD_CLOEXEC));
  if (!fd.valid()) return Errno("memfd_create");
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = write(fd.get(), text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Errno(std::string("writing the ") + name + " memfd");
    done += static_cast<size_t>(n);
  }
  if (lseek(fd.get(), 0, SEEK_SET) != 0) return Errno("lseek");
  return High(std::move(fd));
}

struct Pipe {
  UniqueFd read, write;
};
Result<Pipe> MakePipe() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return Errno("pipe2");
  UniqueFd r(fds[0]), w(fds[1]);
  auto hr = High(std::move(r));
  if (!hr.ok()) return hr.status();
  auto hw = High(std::move(w));
  if (!hw.ok()) return hw.status();
  return Pipe{std::move(*hr), std::move(*hw)};
}

// The bwrap child: its process group is killed and it is reaped when this goes.
class SandboxChild {
 public:
  explicit SandboxChild(pid_t pid) : pid_(pid) {}
  SandboxChild(const SandboxChild&) = delete;
  SandboxChild& operator=(const SandboxChild&) = delete;
  ~SandboxChild() {
    if (pid_ <= 0) return;
    Kill();
    while (waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
  // SIGKILL to the whole group (bwrap's outer process and init; the tool dies
  // with bwrap's pid namespace).
  void Kill() {
    if (pid_ <= 0) return;
    kill(-pid_, SIGKILL);
    kill(pid_, SIGKILL);
  }
  // Reaps the child when it has ended (or at once with block). True once reaped.
  bool Reap(bool block, int* status, struct rusage* usage) {
    if (pid_ <= 0) return true;
    pid_t r;
    do {
      r = wait4(pid_, status, block ? 0 : WNOHANG, usage);
    } while (r < 0 && errno == EINTR);
    if (r == pid_ || (r < 0 && errno == ECHILD)) {
      pid_ = -1;
      return true;
    }
    return false;
  }

 private:
  pid_t pid_;
};

// Adds the host's /lib-like path: a link is recreated, a real folder bound read-only.
void AddSystemPath(const char* path, std::vector<std::string>* args) {
  char target[4096];
  ssize_t n = readlink(path, target, sizeof target - 1);
  if (n > 0) {
    target[n] = '\0';
    args->insert(args->end(), {"--symlink", target, path});
    return;
  }
  struct stat st;
  if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) args->insert(args->end(), {"--ro-bind", path, path});
}

std::vector<std::string> BwrapArgs(const SandboxLimits& limits) {
  std::vector<std::string> a = {kBwrap, "--unshare-all", "--unshare-user", "--uid", "65534", "--gid", "65534",
                                "--die-with-parent", "--new-session", "--cap-drop", "ALL",
                                "--clearenv", "--setenv", "PATH", "/usr/bin:/bin", "--setenv", "HOME", "/tmp",
                                "--setenv", "LANG", "C.UTF-8",
                                "--ro-bind", "/usr", "/usr"};
  for (const char* p : {"/bin", "/lib", "/lib64", "/lib32"}) AddSystemPath(p, &a);
  a.insert(a.end(), {"--ro-bind-try", "/etc/localtime", "/etc/localtime",
                     "--proc", "/proc", "--dev", "/dev",
                     "--size", std::to_string(limits.tmp_bytes), "--tmpfs", "/tmp",
                     "--ro-bind-data", std::to_string(kProgramFd), "/sandbox/tool.py",
                     "--remount-ro", "/", "--remount-ro", "/dev", "--chdir", "/tmp",
                     "--seccomp", std::to_string(kSeccompFd), "--json-status-fd", std::to_string(kStatusFd),
                     kPython, "-I", "-B", "/sandbox/tool.py"});
  return a;
}

uid_t NextRunUid() {
  static std::atomic<uint32_t> counter{0};
  return kUidBase + ((static_cast<uid_t>(getpid()) & 0x3FFFFF) << 6) + (counter++ & 63);
}

// In the forked child: only async-signal-safe calls. Reports errno on the
// exec-error pipe and exits on any failure.
[[noreturn]] void ChildFail(int err) {
  while (write(kExecErrorFd, &err, sizeof err) < 0 && errno == EINTR) {
  }
  _exit(127);
}

struct ChildFds {
  int stdin_fd, stdout_fd, stderr_fd, program_fd, seccomp_fd, status_fd, exec_error_fd;
};

[[noreturn]] void RunChild(const ChildFds& fds, char* const* argv, const struct rlimit* limits, const int* which,
                           int n_limits, uid_t run_uid, pid_t parent) {
  // The error pipe first, so every later failure can be reported.
  if (dup2(fds.exec_error_fd, kExecErrorFd) < 0) _exit(127);
  if (fcntl(kExecErrorFd, F_SETFD, FD_CLOEXEC) < 0) ChildFail(errno);
  if (setpgid(0, 0) != 0) ChildFail(errno);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int s = 1; s < NSIG; ++s) sigaction(s, &dfl, nullptr);  // ignored SIGXCPU/SIGPIPE must not carry over
  const int from[] = {fds.stdin_fd, fds.stdout_fd, fds.stderr_fd, fds.program_fd, fds.seccomp_fd, fds.status_fd};
  for (int to = 0; to < 6; ++to) {
    if (dup2(from[to], to) < 0) ChildFail(errno);
  }
  if (close_range(kExecErrorFd + 1, ~0U, 0) != 0) ChildFail(errno);  // no fd of the caller leaks in
  if (chdir("/") != 0) ChildFail(errno);
  for (int i = 0; i < n_limits; ++i) {
    if (setrlimit(which[i], &limits[i]) != 0) ChildFail(errno);
  }
  if (run_uid != 0) {
    if (setgroups(0, nullptr) != 0 || setresgid(run_uid, run_uid, run_uid) != 0 ||
        setresuid(run_uid, run_uid, run_uid) != 0) {
      ChildFail(errno);
    }
  }
  // After the uid change, which clears it; the parent may have gone meanwhile.
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) ChildFail(errno);
  if (getppid() != parent) _exit(127);
  char* const no_env[] = {nullptr};
  execve(argv[0], argv, no_env);
  ChildFail(errno);
}

// Appends what is readable on `fd` to `out`, at most `cap` + 1 bytes in all.
// Returns false at EOF (or an error other than EAGAIN).
bool Drain(int fd, int64_t cap, std::string* out) {
  char buf[16384];
  for (;;) {
    int64_t room = cap + 1 - static_cast<int64_t>(out->size());
    if (room <= 0) return true;
    ssize_t n = read(fd, buf, static_cast<size_t>(std::min<int64_t>(room, sizeof buf)));
    if (n > 0) {
      out->append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    return false;
  }
}

// The number after `"key":` in bwrap's status JSON, or 0.
uint64_t JsonNumber(const std::string& json, const std::string& key) {
  size_t at = json.find("\"" + key + "\"");
  if (at == std::string::npos) return 0;
  at = json.find(':', at);
  if (at == std::string::npos) return 0;
  return std::strtoull(json.c_str() + at + 1, nullptr, 10);
}

// Whether /proc/<pid> is a zombie (dead, its resources gone, waiting to be
// reaped: bwrap's init ends as one under the host's init after a kill).
bool IsZombie(int proc_fd, const char* pid) {
  UniqueFd fd(openat(proc_fd, (std::string(pid) + "/stat").c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return true;  // gone meanwhile
  char buf[512];
  ssize_t n = read(fd.get(), buf, sizeof buf - 1);
  if (n <= 0) return true;
  buf[n] = '\0';
  const char* close_paren = std::strrchr(buf, ')');
  return close_paren == nullptr || close_paren[1] == '\0' || close_paren[2] == 'Z' || close_paren[2] == 'X';
}

// After a kill, the tool's processes die with the pid namespace's init, but
// the kernel does that after bwrap's outer process is gone. Waits (at most
// `patience`) until no process is left in the namespace, so the run returns
// with nothing behind it.
void AwaitEmptyNamespace(uint64_t pid_namespace, std::chrono::milliseconds patience) {
  if (pid_namespace == 0) return;
  const std::string wanted = "pid:[" + std::to_string(pid_namespace) + "]";
  const auto give_up = std::chrono::steady_clock::now() + patience;
  for (;;) {
    bool found = false;
    if (DIR* proc = opendir("/proc")) {
      while (dirent* e = readdir(proc)) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        char link[64];
        ssize_t n = readlinkat(dirfd(proc), (std::string(e->d_name) + "/ns/pid").c_str(), link, sizeof link - 1);
        if (n > 0 && wanted.compare(0, std::string::npos, link, static_cast<size_t>(n)) == 0 &&
            !IsZombie(dirfd(proc), e->d_name)) {
          found = true;
          break;
        }
      }
      closedir(proc);
    }
    if (!found || std::chrono::steady_clock::now() >= give_up) return;
    usleep(5000);
  }
}

Status CheckLimits(const SandboxLimits& l) {
  if (!(l.cpu_seconds > 0) || l.memory_bytes <= 0 || l.max_output_bytes <= 0 || l.wall_timeout_ms <= 0 ||
      l.tmp_bytes <= 0) {
    return Status::InvalidArgument("sandbox limits must all be positive");
  }
  if (l.max_processes < 4) {
    return Status::InvalidArgument("sandbox max_processes must be at least 4 (bwrap takes 2 of them, python3 one); got " +
                                   std::to_string(l.max_processes));
  }
  return Status::OK();
}

}  // namespace

const char* OutcomeName(SandboxRun::Outcome outcome) {
  switch (outcome) {
    case SandboxRun::Outcome::kOk: return "ok";
    case SandboxRun::Outcome::kFailed: return "failed";
    case SandboxRun::Outcome::kTimedOut: return "timed out";
    case SandboxRun::Outcome::kMemory: return "out of memory";
    case SandboxRun::Outcome::kProcesses: return "too many processes";
    case SandboxRun::Outcome::kOutputTooLarge: return "output too large";
    case SandboxRun::Outcome::kForbiddenCall: return "forbidden call";
    case SandboxRun::Outcome::kCrashed: return "crashed";
  }
  return "unknown";
}

Result<SandboxRun> RunPython(const std::string& program, const std::string& stdin_text,
                             const SandboxLimits& limits) {
  if (Status s = CheckLimits(limits); !s.ok()) return s;
  if (access(kBwrap, X_OK) != 0) {
    return Status::FailedPrecondition(std::string("sandbox: bubblewrap is not installed (") + kBwrap + "); " +
                                      kInstallHint);
  }
  if (access(kPython, X_OK) != 0) {
    return Status::FailedPrecondition(std::string("sandbox: Debian's python3 is not installed (") + kPython +
                                      "); " + kInstallHint);
  }
  auto program_fd = MemfdWith("kaizen-tool", program);
  if (!program_fd.ok()) return program_fd.status();
  auto stdin_fd = MemfdWith("kaizen-tool-stdin", stdin_text);
  if (!stdin_fd.ok()) return stdin_fd.status();
  auto filter = BuildSeccompFilter();
  if (!filter.ok()) return filter.status();
  auto seccomp_fd = High(std::move(*filter));
  if (!seccomp_fd.ok()) return seccomp_fd.status();
  auto out = MakePipe(), err = MakePipe(), status = MakePipe(), exec_error = MakePipe();
  for (auto* p : {&out, &err, &status, &exec_error}) {
    if (!p->ok()) return p->status();
  }

  // Everything the child needs is made before fork: it may only make async-signal-safe calls.
  std::vector<std::string> args = BwrapArgs(limits);
  std::vector<char*> argv;
  for (auto& s : args) argv.push_back(s.data());
  argv.push_back(nullptr);
  const rlim_t cpu = static_cast<rlim_t>(std::ceil(limits.cpu_seconds));
  const int which[] = {RLIMIT_CPU, RLIMIT_AS, RLIMIT_NPROC, RLIMIT_FSIZE, RLIMIT_CORE};
  const struct rlimit values[] = {{cpu, cpu + 1},
                                  {static_cast<rlim_t>(limits.memory_bytes), static_cast<rlim_t>(limits.memory_bytes)},
                                  {static_cast<rlim_t>(limits.max_processes), static_cast<rlim_t>(limits.max_processes)},
                                  {static_cast<rlim_t>(limits.tmp_bytes), static_cast<rlim_t>(limits.tmp_bytes)},
                                  {0, 0}};
  const uid_t run_uid = geteuid() == 0 ? NextRunUid() : 0;
  const ChildFds fds{stdin_fd->get(), out->write.get(), err->write.get(), program_fd->get(),
                     seccomp_fd->get(), status->write.get(), exec_error->write.get()};
  const pid_t parent = getpid();

  const auto start = std::chrono::steady_clock::now();
  pid_t pid = fork();
  if (pid < 0) return Errno("fork");
  if (pid == 0) RunChild(fds, argv.data(), values, which, 5, run_uid, parent);
  SandboxChild child(pid);
  setpgid(pid, pid);  // also done in the child; whichever runs first (EACCES after exec is fine)
  out->write.Reset();
  err->write.Reset();
  status->write.Reset();
  exec_error->write.Reset();

  int exec_errno = 0;
  ssize_t got;
  do {
    got = read(exec_error->read.get(), &exec_errno, sizeof exec_errno);
  } while (got < 0 && errno == EINTR);
  if (got > 0) {
    return Status::IOError(std::string("sandbox: could not start ") + kBwrap + ": " + std::strerror(exec_errno));
  }

  SandboxRun run;
  RunEnding ending;
  for (int fd : {out->read.get(), err->read.get(), status->read.get()}) {
    if (fcntl(fd, F_SETFL, O_NONBLOCK) != 0) return Errno("fcntl(O_NONBLOCK)");
  }
  const auto deadline = start + std::chrono::milliseconds(limits.wall_timeout_ms);
  bool out_open = true, err_open = true, reaped = false, killed = false;
  int wait_status = 0;
  struct rusage usage {};
  std::string status_json;
  while (!reaped || out_open || err_open) {
    if (!reaped) reaped = child.Reap(false, &wait_status, &usage);
    const auto now = std::chrono::steady_clock::now();
    if (killed || (reaped && now >= deadline + std::chrono::seconds(1))) break;  // nothing more worth reading
    if (now >= deadline) {
      ending.wall_timeout = true;
      child.Kill();
      killed = true;
      continue;
    }
    struct pollfd pfds[2] = {{out_open ? out->read.get() : -1, POLLIN, 0}, {err_open ? err->read.get() : -1, POLLIN, 0}};
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count();
    int ready = poll(pfds, 2, static_cast<int>(std::min<int64_t>(left + 1, 50)));
    if (ready < 0 && errno != EINTR) return Errno("poll");
    if (out_open && pfds[0].revents) out_open = Drain(out->read.get(), limits.max_output_bytes, &run.stdout_text);
    if (err_open && pfds[1].revents) err_open = Drain(err->read.get(), limits.max_output_bytes, &run.stderr_text);
    for (auto [text, name] : {std::pair{&run.stdout_text, "stdout"}, std::pair{&run.stderr_text, "stderr"}}) {
      if (static_cast<int64_t>(text->size()) > limits.max_output_bytes && ending.output_overflow.empty()) {
        text->resize(static_cast<size_t>(limits.max_output_bytes));
        ending.output_overflow = name;
        child.Kill();
        killed = true;
      }
    }
  }
  if (!reaped) child.Reap(true, &wait_status, &usage);
  run.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  Drain(status->read.get(), 1 << 16, &status_json);
  if (killed) AwaitEmptyNamespace(JsonNumber(status_json, "pid-namespace"), std::chrono::seconds(2));

  if (!killed && status_json.find("\"child-pid\"") == std::string::npos) {
    std::string why = LastLine(run.stderr_text);
    return Status::FailedPrecondition(
        "sandbox: bubblewrap could not set up the sandbox: " + (why.empty() ? "no reason given" : why) +
        ". It needs unprivileged user namespaces (sysctl user.max_user_namespaces > 0; in a container, "
        "one that allows unshare(CLONE_NEWUSER))");
  }
  ending.bwrap_exit_code = WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 128 + WTERMSIG(wait_status);
  ending.cpu_seconds = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                       static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  ReadOutcome(ending, limits, &run);
  return run;
}

Status SandboxAvailable() {
  auto run = RunPython("print('ok')\n", "", SandboxLimits{});
  if (!run.ok()) return run.status();
  if (!run->ok() || run->stdout_text != "ok\n") {
    return Status::FailedPrecondition("sandbox: starts, but a one-line program did not run: " + run->reason);
  }
  return Status::OK();
}

}  // namespace kaizen::tools
