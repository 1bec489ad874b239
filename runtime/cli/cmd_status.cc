#include <sys/ioctl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "runtime/base/clock.h"
#include "runtime/cli/commands.h"
#include "runtime/cli/runtime_session.h"
#include "runtime/cli/status_view.h"

namespace kaizen::cli {
namespace {

// One status from the runtime, or an error message.
Result<nlohmann::json> Ask(RuntimeSession& session, int timeout_ms) {
  bus::Envelope req = session.NewRequest();
  req.mutable_status_request();
  auto reply = session.Call(std::move(req), timeout_ms);
  if (!reply.ok()) return reply.status();
  if (!reply->has_status_reply()) return Status::Internal("unexpected answer to a status request");
  return StatusToJson(reply->status_reply());
}

// ---- --watch ---------------------------------------------------------------

std::atomic<bool> g_stop{false};
extern "C" void OnStopSignal(int) { g_stop = true; }

int TerminalColumns() {
  winsize ws{};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return 80;
}

// Sleeps up to `ms`, waking early on Ctrl-C.
void Nap(int ms) {
  const int64_t until = MonoMs() + ms;
  while (!g_stop && MonoMs() < until) std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

int Watch(const StatusOptions& o, RuntimeSession& session) {
  const bool tty = ::isatty(STDOUT_FILENO) == 1;
  struct sigaction sa {};
  sa.sa_handler = OnStopSignal;
  ::sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  // On a terminal: hide the cursor and clear once; each frame then goes home
  // and overwrites, clearing line ends and what is below, so it does not flicker.
  if (tty) std::fputs("\x1b[?25l\x1b[H\x1b[2J", stdout);
  int code = kExitOk;
  std::string why_stopped;
  while (!g_stop) {
    auto status = Ask(session, std::min(o.interval_ms, 2000) + 1000);
    if (!status.ok()) {
      if (!core::RuntimeAlive(session.paths())) {
        why_stopped = "the cluster went down";
        break;
      }
      // Alive but slow: say so and keep watching.
      status = nlohmann::json{{"error", status.status().message()}};
    }
    std::string frame;
    const std::string stamp = FormatIsoMs(WallMs());
    const int width = tty ? TerminalColumns() : 80;
    if (status->contains("error")) {
      frame = "kaizen status: no answer from the runtime: " + (*status)["error"].get<std::string>() + "\n";
    } else {
      frame = StatusText(*status, {width});
    }
    frame = ClipColumns(fmt::format("{}  every {} ms, Ctrl-C to stop", stamp, o.interval_ms), width) + "\n" + frame;
    if (o.output == "json" && !status->contains("error")) {
      std::printf("%s\n", status->dump().c_str());  // one object per line: easy to pipe
    } else if (tty) {
      std::string out = "\x1b[H";
      size_t start = 0;
      while (start < frame.size()) {
        size_t end = frame.find('\n', start);
        out += frame.substr(start, end - start) + "\x1b[K\n";
        start = end + 1;
      }
      out += "\x1b[J";
      std::fputs(out.c_str(), stdout);
    } else {
      std::printf("%s\n", frame.c_str());
    }
    if (std::fflush(stdout) != 0) break;  // the reader went away
    Nap(o.interval_ms);
  }
  if (tty) std::fputs("\x1b[?25h", stdout);
  if (!why_stopped.empty()) std::printf("%s\n", why_stopped.c_str());
  std::fflush(stdout);
  return code;
}

}  // namespace

int RunStatus(const StatusOptions& o) {
  auto dir = core::ResolveStateDir(o.state_dir);
  if (!dir.ok()) {
    std::fprintf(stderr, "kaizen status: %s\n", dir.status().message().c_str());
    return kExitInvalid;
  }
  auto session = RuntimeSession::Open(*dir, o.key_file);
  if (!session.ok()) {
    // Alive but not answering us: say why rather than look like a stopped cluster.
    if (core::RuntimeAlive(core::StatePaths(*dir))) {
      std::fprintf(stderr, "kaizen status: %s\n", session.status().message().c_str());
    }
    const nlohmann::json j = StoredStatus(*dir);
    if (o.output == "json") std::printf("%s\n", j.dump(2).c_str());
    else std::fputs(StatusText(j).c_str(), stdout);
    return kExitNotRunning;
  }
  if (o.watch) return Watch(o, **session);
  auto j = Ask(**session, 5000);
  if (!j.ok()) {
    std::fprintf(stderr, "kaizen status: %s\n", j.status().message().c_str());
    return kExitFailure;
  }
  if (o.output == "json") std::printf("%s\n", j->dump(2).c_str());
  else std::fputs(StatusText(*j).c_str(), stdout);
  return kExitOk;
}

}  // namespace kaizen::cli
