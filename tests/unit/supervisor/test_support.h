// Helpers shared by the supervisor tests: a scratch directory, polling with a
// deadline (never a fixed sleep), process checks.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include "runtime/base/clock.h"

namespace kaizen::supervisor::testing {

// Generous: CI machines are small and loaded; the happy path returns early.
inline constexpr int64_t kDeadlineMs = 10000;

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "kaizen-sup-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string operator/(const std::string& rel) const { return (path_ / rel).string(); }

 private:
  std::filesystem::path path_;
};

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Polls cond every few ms until it holds or the deadline passes.
template <typename Cond>
bool WaitUntil(Cond cond, int64_t timeout_ms = kDeadlineMs) {
  const int64_t deadline = MonoMs() + timeout_ms;
  while (!cond()) {
    if (MonoMs() > deadline) return false;
    ::usleep(5000);
  }
  return true;
}

// No such process at all (reaped, not even a zombie).
inline bool ProcessGone(pid_t pid) { return ::kill(pid, 0) == -1 && errno == ESRCH; }

// Gone or a zombie: dead, though perhaps not yet reaped by whoever inherited it.
inline bool ProcessDead(pid_t pid) {
  if (ProcessGone(pid)) return true;
  std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  auto close = stat.rfind(')');
  if (close == std::string::npos || close + 2 >= stat.size()) return true;  // vanished meanwhile
  char state = stat[close + 2];
  return state == 'Z' || state == 'X';
}

}  // namespace kaizen::supervisor::testing
