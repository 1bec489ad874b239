#include "runtime/base/crash_point.h"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include <spdlog/spdlog.h>

namespace kaizen {

void CrashPoint(std::string_view point) {
  static const std::string armed = [] {
    const char* v = std::getenv("KAIZEN_TEST_CRASH_AT");
    return std::string(v ? v : "");
  }();
  if (armed.empty() || armed != point) return;
  spdlog::critical("KAIZEN_TEST_CRASH_AT={}: killing this process (pid {}) here, as a test asked", armed, ::getpid());
  spdlog::default_logger()->flush();
  ::kill(::getpid(), SIGKILL);
}

}  // namespace kaizen
