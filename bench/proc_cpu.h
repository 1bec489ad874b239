// Where the CPU went during a measurement: the CPU time of every thread of
// some processes, and of the whole machine (/proc/stat), sampled before and
// after and subtracted. Per thread from /proc/PID/task/TID/schedstat (time
// on a CPU and time waiting in a run queue for one, in ns), or, without
// schedstat, from .../stat (user + system, in 10 ms ticks); threads that end
// between the samples are missed.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace kaizen::bench {

struct ThreadTimes {
  double run_s = 0;   // on a CPU
  double wait_s = 0;  // runnable, waiting for a CPU (0 without schedstat)
};

struct CpuSample {
  // By process name, then thread: the thread whose id is the process id is
  // "main", the others go by their name (/proc/.../comm), and those with
  // the process's own name are summed as "threads".
  std::map<std::string, std::map<std::string, ThreadTimes>> threads;
  double machine_busy_s = 0;  // all cores, every process on the machine
};

CpuSample SampleCpu(const std::vector<std::pair<pid_t, std::string>>& processes);

// after - before, as cores (seconds per second of `wall_s`).
struct CpuUse {
  std::map<std::string, std::map<std::string, double>> threads;  // ["gateway"]["threads"] -> 0.31 cores
  std::map<std::string, double> processes;                        // ["gateway"] -> 0.52 cores
  // Per process, its threads' time waiting for a CPU per second: 0.4 = on
  // average 0.4 of its threads were ready to run and not running.
  std::map<std::string, double> waiting;
  double machine = 0;  // cores busy on the machine
};
CpuUse CpuBetween(const CpuSample& before, const CpuSample& after, double wall_s);

}  // namespace kaizen::bench
