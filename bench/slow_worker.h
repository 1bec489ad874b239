// The replica benchmark's slow worker: an SDK agent with role "worker" that
// answers every task after burning a fixed amount of CPU (cpu_burn.h). It
// registers like the real worker (agents/worker/worker_agent.cc): with no
// model in its Welcome it sends the runtime a ModelReady for `model_path`
// (a file whose hash the runtime checks) and serves once the runtime acks it
// with the version; a replica that joins after the first gets the
// registered model in its Welcome and serves at once.
#pragma once

#include <cstdint>
#include <string>

namespace kaizen::bench {

struct SlowWorkerOptions {
  std::string id;        // "worker", "worker-2", ...
  std::string endpoint;  // the runtime's control endpoint
  std::string model_path;
  int64_t task_cpu_ns = 1000000;
};

// Runs the agent until the runtime drains it (`kaizen down`) or SIGTERM;
// the process exit code.
int RunSlowWorker(const SlowWorkerOptions& options);

}  // namespace kaizen::bench
