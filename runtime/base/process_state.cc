#include "runtime/base/process_state.h"

#include <signal.h>

#include <cerrno>
#include <fstream>
#include <string>

namespace kaizen {

bool ProcessRunning(pid_t pid) {
  if (pid <= 0) return false;
  if (::kill(pid, 0) != 0) return errno == EPERM;  // EPERM: someone else's, but there
  // /proc/PID/stat: "PID (comm) S ...", the state after the last ')'.
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  const auto close = line.rfind(')');
  return !(close != std::string::npos && close + 2 < line.size() && line[close + 2] == 'Z');
}

}  // namespace kaizen
