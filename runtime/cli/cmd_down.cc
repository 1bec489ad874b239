#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <thread>

#include "runtime/base/clock.h"
#include "runtime/cli/commands.h"
#include "runtime/cli/runtime_session.h"

namespace kaizen::cli {
namespace {

bool WaitGone(const core::StatePaths& paths, int64_t timeout_ms) {
  int64_t deadline = MonoMs() + timeout_ms;
  while (core::RuntimeAlive(paths)) {
    if (MonoMs() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

}  // namespace

int RunDown(const DownOptions& o) {
  auto dir = core::ResolveStateDir(o.state_dir);
  if (!dir.ok()) {
    std::fprintf(stderr, "kaizen down: %s\n", dir.status().message().c_str());
    return kExitInvalid;
  }
  core::StatePaths paths(*dir);
  if (!core::RuntimeAlive(paths)) {
    std::printf("no cluster is running for %s\n", paths.dir.c_str());
    return kExitOk;
  }
  auto info = core::ReadRuntimeInfo(paths);
  int64_t pid = info.ok() ? info->pid : 0;
  auto session = RuntimeSession::Open(*dir, o.key_file);
  if (session.ok()) {
    bus::Envelope req = (*session)->NewRequest();
    req.mutable_command()->set_kind(v1::Command::SHUTDOWN);
    req.mutable_command()->set_reason("kaizen down");
    auto ack = (*session)->Call(std::move(req));
    if (!ack.ok()) std::fprintf(stderr, "kaizen down: %s\n", ack.status().message().c_str());
  } else if (pid > 0) {
    // The bus does not answer; the lock says the runtime lives: ask by signal.
    std::fprintf(stderr, "kaizen down: %s; sending SIGTERM to runtime pid %lld\n",
                 session.status().message().c_str(), static_cast<long long>(pid));
    ::kill(static_cast<pid_t>(pid), SIGTERM);
  }
  std::printf("stopping cluster at %s ...\n", paths.dir.c_str());
  std::fflush(stdout);
  if (WaitGone(paths, o.timeout_s * 1000LL)) {
    std::printf("stopped\n");
    return kExitOk;
  }
  std::fprintf(stderr, "kaizen down: runtime pid %lld still running after %d s\n", static_cast<long long>(pid),
               o.timeout_s);
  return kExitFailure;
}

}  // namespace kaizen::cli
