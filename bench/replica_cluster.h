// ReplicaCluster: the replica benchmark's cluster. A real `kaizen up
// --detach` from a manifest whose worker has `placement: external` and
// `replicas: N`, every other agent external too and never started (no
// simulator, no cycle: nothing else takes a core), and N slow workers
// (slow_worker.h, this benchmark's binary in its --slow-worker mode) that
// join as worker, worker-2, ... Stopped with `kaizen down`, which drains the
// workers; any still there are stopped by their pids.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "bench/runtime_pinger.h"
#include "runtime/base/result.h"

namespace kaizen::bench {

struct ReplicaClusterOptions {
  std::string kaizen;  // the kaizen binary
  std::string self;    // this benchmark's binary, for its --slow-worker mode
  // CLINC150: a builtin-classifier worker section must name training data
  // to validate; the slow worker never reads it.
  std::string data;
  std::string dir;  // manifest, model file, state dir and logs go here
  int replicas = 1;
  int64_t task_cpu_ns = 1000000;
};

class ReplicaCluster {
 public:
  // The runtime up, then the workers started; the error says what did not
  // start and where its output is.
  static Result<std::unique_ptr<ReplicaCluster>> Start(const ReplicaClusterOptions& o);
  ~ReplicaCluster();
  ReplicaCluster(const ReplicaCluster&) = delete;
  ReplicaCluster& operator=(const ReplicaCluster&) = delete;

  const std::string& endpoint() const { return endpoint_; }
  const std::vector<std::string>& replica_ids() const { return ids_; }
  // The runtime (and anything under it) and each worker, by id: for proc_cpu.h.
  std::vector<std::pair<pid_t, std::string>> Processes() const;

  // Waits until the runtime says every replica can serve (connected, idle
  // or busy, with a model version: what Runtime::CanServe asks). The error
  // lists each replica's state, model and detail, or names a worker that exited.
  Status WaitServing(RuntimePinger& client, int timeout_ms) const;

 private:
  ReplicaCluster() = default;
  ReplicaClusterOptions o_;
  std::string state_, endpoint_;
  bool up_ = false;  // `kaizen up` succeeded: `kaizen down` is due
  pid_t runtime_ = 0;
  std::vector<std::string> ids_;
  std::vector<pid_t> workers_;
};

}  // namespace kaizen::bench
