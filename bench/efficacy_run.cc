#include "bench/efficacy_run.h"

#include <sys/wait.h>

#include <chrono>
#include <deque>
#include <fstream>
#include <sstream>
#include <thread>

#include "bench/child_process.h"
#include "runtime/base/atomic_file.h"

namespace kaizen::bench {
namespace {

constexpr std::size_t kMaxSummaryBytes = 64 << 20;

// The last `n` lines of a file, for an error message.
std::string Tail(const std::string& path, size_t n) {
  std::ifstream in(path);
  std::deque<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
    if (lines.size() > n) lines.pop_front();
  }
  std::string out;
  for (const auto& l : lines) out += "\n    " + l;
  return out;
}

std::string Trimmed(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

Status ValidateManifest(const std::string& kaizen, const std::string& manifest_path, const std::string& dir) {
  const std::string out = dir + "/validate.out";
  const int rc = RunChild({kaizen, "validate", manifest_path}, out, 60);
  if (rc == 0) return Status::OK();
  return Status::InvalidArgument("`kaizen validate` refuses " + manifest_path + " (exit " + std::to_string(rc) +
                                 "):\n    " + Trimmed(out));
}

Result<ScenarioRun> RunScenario(const std::string& kaizen, const std::string& dir, const std::string& manifest_text,
                                int timeout_s) {
  const std::string manifest = dir + "/manifest.yaml", summary = dir + "/summary.json", log = dir + "/up.out";
  if (Status w = WriteFileAtomically(manifest, manifest_text); !w.ok()) return w.WithContext("writing the manifest");
  const auto start = std::chrono::steady_clock::now();
  const pid_t pid =
      StartChild({kaizen, "up", manifest, "--state-dir", dir + "/state", "--summary-json", summary}, log);
  if (pid < 0) return Status::Unavailable("cannot start " + kaizen);
  const auto deadline = start + std::chrono::seconds(timeout_s);
  std::optional<int> status;
  while (!(status = ExitedStatus(pid))) {
    if (std::chrono::steady_clock::now() > deadline) {
      StopChild(pid, 15000);
      return Status::Timeout("the scenario ran past " + std::to_string(timeout_s) +
                             " s and was stopped (raise --timeout, or --rate); last lines of " + log + ":" +
                             Tail(log, 8));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ScenarioRun run;
  run.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!WIFEXITED(*status) || WEXITSTATUS(*status) != 0) {
    const std::string how = WIFEXITED(*status) ? "exited " + std::to_string(WEXITSTATUS(*status))
                                               : "was killed by signal " + std::to_string(WTERMSIG(*status));
    return Status::Internal("`kaizen up` " + how + "; last lines of " + log + ":" + Tail(log, 8));
  }
  auto text = ReadWholeFile(summary, kMaxSummaryBytes);
  if (!text.ok()) return text.status().WithContext("`kaizen up` exited 0 but its summary is missing");
  run.summary = nlohmann::json::parse(*text, nullptr, false);
  if (!run.summary.is_object()) return Status::Corruption(summary + " is not a JSON object");
  return run;
}

}  // namespace kaizen::bench
