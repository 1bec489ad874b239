#include "bench/cpu_burn.h"

#include <time.h>

#include "bench/timing.h"

namespace kaizen::bench {

int64_t ThreadCpuNs() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

void BurnThreadCpu(int64_t ns) {
  const int64_t until = ThreadCpuNs() + ns;
  while (ThreadCpuNs() < until) {
  }
}

BurnCount BurnTasksBetween(int64_t task_ns, int64_t from_ns, int64_t to_ns) {
  BurnCount c;
  for (int64_t now = NowNs(); now < to_ns; ++c.all) {
    BurnThreadCpu(task_ns);
    now = NowNs();
    if (now >= from_ns && now < to_ns) ++c.measured;
  }
  return c;
}

}  // namespace kaizen::bench
