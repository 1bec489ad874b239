// The work of the replica benchmark's slow worker: a fixed amount of CPU per
// task, burnt in a busy loop on the calling thread's CPU clock (not a sleep,
// and not wall time: a thread that waits for a core still does the whole
// task's work once it runs). The routed workers and the baseline's
// independent processes call the same function.
#pragma once

#include <cstdint>

namespace kaizen::bench {

// The calling thread's CPU time (CLOCK_THREAD_CPUTIME_ID), in ns.
int64_t ThreadCpuNs();

// Returns once this thread has used `ns` more of CPU.
void BurnThreadCpu(int64_t ns);

struct BurnCount {
  uint64_t measured = 0;  // tasks finished in [from_ns, to_ns)
  uint64_t all = 0;       // with the warm-up's
};

// The baseline worker: tasks of `task_ns` of CPU, one after the other, until
// NowNs() reaches `to_ns`. The tasks before from_ns are its warm-up.
BurnCount BurnTasksBetween(int64_t task_ns, int64_t from_ns, int64_t to_ns);

}  // namespace kaizen::bench
