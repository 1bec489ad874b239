// Resident memory of a process tree, from /proc/PID/status (VmRSS, VmHWM).
// Each process is named by its kaizen agent id (`--id X` on its command
// line), "runtime" for the root, or its parent's name + "/" + its command.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace kaizen::bench {

struct RssStats {
  int64_t max_rss_kib = 0;  // largest VmRSS seen in a sample
  int64_t hwm_kib = 0;      // VmHWM (peak RSS) at the last sample
  int64_t last_rss_kib = 0;
  int samples = 0;
};

class RssTracker {
 public:
  // Samples `root` and all its descendants once.
  void Sample(pid_t root);
  const std::map<std::string, RssStats>& stats() const { return stats_; }

 private:
  std::map<std::string, RssStats> stats_;
};

// `root` (named "runtime") and every process under it, named as above;
// children between fork and exec are left out.
std::vector<std::pair<pid_t, std::string>> ProcessTree(pid_t root);

// VmRSS of one process in KiB; 0 if it is gone.
int64_t ReadRssKib(pid_t pid);

}  // namespace kaizen::bench
