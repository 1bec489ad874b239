#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <climits>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "config/manifest.h"
#include "runtime/base/atomic_file.h"
#include "runtime/base/process_state.h"
#include "runtime/cli/commands.h"
#include "runtime/cli/summary_format.h"
#include "runtime/core/runtime.h"

namespace kaizen::cli {
namespace {

std::string SelfExecutable() {
  std::array<char, PATH_MAX> buf{};
  ssize_t n = ::readlink("/proc/self/exe", buf.data(), buf.size() - 1);
  return n > 0 ? std::string(buf.data(), static_cast<size_t>(n)) : "kaizen";
}

void SetupRuntimeLogging(const core::StatePaths& paths, const std::string& level, bool to_terminal) {
  std::vector<spdlog::sink_ptr> sinks;
  if (to_terminal) sinks.push_back(std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  sinks.push_back(std::make_shared<spdlog::sinks::basic_file_sink_mt>(paths.logs + "/runtime.log"));
  auto logger = std::make_shared<spdlog::logger>("runtime", sinks.begin(), sinks.end());
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [runtime] %v");
  logger->set_level(spdlog::level::from_str(level));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

// Runs the runtime in this process. `ready_fd` >= 0: write "ok\n" or the error
// there once the cluster is up (the detaching parent waits on it).
int RunRuntime(config::Manifest manifest, bool to_terminal, int ready_fd, const std::string& summary_json) {
  core::StatePaths paths(manifest.runtime.state_dir);
  SetupRuntimeLogging(paths, manifest.runtime.log_level, to_terminal);
  std::string name = manifest.name;
  size_t agents = manifest.agents.size();
  std::string state_dir = manifest.runtime.state_dir;
  core::Runtime::Options opts;
  opts.agent_executable = SelfExecutable();
  opts.on_ready = [&](const Status& s) {
    std::string msg = s.ok() ? "ok\n" : s.ToString() + "\n";
    if (ready_fd >= 0) {
      (void)!::write(ready_fd, msg.data(), msg.size());
      ::close(ready_fd);
    } else if (s.ok()) {
      std::printf("cluster '%s' up: %zu agents, state dir %s\n(Ctrl-C or `kaizen down --state-dir %s` to stop)\n",
                  name.c_str(), agents, state_dir.c_str(), state_dir.c_str());
      std::fflush(stdout);
    }
  };
  if (to_terminal || !summary_json.empty()) {
    // Detached, the summary goes to the file only (and state_dir/summary.json).
    opts.on_scenario_done = [summary_json, to_terminal](const nlohmann::json& summary) {
      if (to_terminal) {
        std::printf("\n%s", FormatSummary(summary).c_str());
        std::fflush(stdout);
      }
      if (!summary_json.empty()) {
        if (Status w = WriteFileAtomically(summary_json, summary.dump(2) + "\n"); !w.ok()) {
          std::fprintf(stderr, "kaizen up: cannot write %s: %s\n", summary_json.c_str(), w.ToString().c_str());
        }
      }
    };
  }
  core::Runtime runtime(std::move(manifest), opts);
  Status s = runtime.Run();
  if (!s.ok()) {
    spdlog::error("{}", s.ToString());
    return kExitFailure;
  }
  return kExitOk;
}

// A runtime that was just killed (kill -9, the OOM killer) holds the state
// dir's lock until the last of its threads has exited, a moment after its
// pid is gone. Wait for that (up to 5 s) rather than tell the operator that a
// dead runtime is running. True when the lock is free now.
bool WaitForDeadRuntimeLock(const core::StatePaths& paths) {
  auto info = core::ReadRuntimeInfo(paths);
  if (!info.ok() || info->pid <= 0 || ProcessRunning(static_cast<pid_t>(info->pid))) return false;
  for (int i = 0; i < 250 && core::RuntimeAlive(paths); ++i) ::usleep(20000);
  return !core::RuntimeAlive(paths);
}

}  // namespace

int RunUp(const UpOptions& o) {
  config::LoadResult r = config::LoadManifestFile(o.manifest, o.state_dir);
  if (!r.ok()) {
    for (const auto& d : r.errors) std::fprintf(stderr, "%s\n", d.ToString().c_str());
    return kExitInvalid;
  }
  core::StatePaths paths(r.manifest.runtime.state_dir);
  if (core::RuntimeAlive(paths) && !WaitForDeadRuntimeLock(paths)) {
    std::fprintf(stderr, "kaizen up: a runtime is already running for %s; `kaizen down --state-dir %s` stops it\n",
                 paths.dir.c_str(), paths.dir.c_str());
    return kExitFailure;
  }
  if (Status s = core::CreateStateDir(paths); !s.ok()) {
    std::fprintf(stderr, "kaizen up: %s\n", s.ToString().c_str());
    return kExitFailure;
  }
  std::string summary_json = o.summary_json;
  if (!summary_json.empty()) summary_json = std::filesystem::absolute(summary_json).string();
  if (!o.detach) return RunRuntime(std::move(r.manifest), /*to_terminal=*/true, -1, summary_json);

  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) {
    std::fprintf(stderr, "kaizen up: pipe: %s\n", std::strerror(errno));
    return kExitFailure;
  }
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) {
    std::fprintf(stderr, "kaizen up: fork: %s\n", std::strerror(errno));
    return kExitFailure;
  }
  if (pid == 0) {
    // The daemon: its own session, no terminal, output to the runtime log.
    ::close(pipefd[0]);
    ::setsid();
    int devnull = ::open("/dev/null", O_RDONLY);
    int log = ::open((paths.logs + "/runtime.out").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (devnull >= 0) ::dup2(devnull, 0);
    if (log >= 0) {
      ::dup2(log, 1);
      ::dup2(log, 2);
    }
    ::_exit(RunRuntime(std::move(r.manifest), /*to_terminal=*/false, pipefd[1], summary_json));
  }
  ::close(pipefd[1]);
  std::string answer;
  char buf[512];
  for (ssize_t n; (n = ::read(pipefd[0], buf, sizeof buf)) > 0;) answer.append(buf, static_cast<size_t>(n));
  ::close(pipefd[0]);
  if (answer != "ok\n") {
    std::fprintf(stderr, "kaizen up: the runtime did not start: %s(see %s/runtime.log)\n",
                 answer.empty() ? "it exited early " : answer.c_str(), paths.logs.c_str());
    return kExitFailure;
  }
  std::printf("cluster '%s' up in the background: runtime pid %d, %zu agents, state dir %s\n", r.manifest.name.c_str(),
              static_cast<int>(pid), r.manifest.agents.size(), paths.dir.c_str());
  return kExitOk;
}

}  // namespace kaizen::cli
