// RuntimePinger: tasks through a running cluster's runtime, for
// MeasureThroughput (pinger.h). A BusClient registered as a CLI peer (Hello)
// sends each task as a Task envelope to "runtime" (a unique id, a routing
// key over `users` users, a 100-byte input) and counts the TaskResults the
// runtime sends back once the answers are committed, by the worker replica
// that answered (the runtime sets worker_id).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include <zmq.hpp>

#include "bench/pinger.h"
#include "runtime/base/result.h"
#include "runtime/bus/bus_client.h"
#include "status.pb.h"

namespace kaizen::bench {

class RuntimePinger : public Pinger {
 public:
  // Connects as `identity` and says Hello; throws if the runtime does not answer.
  RuntimePinger(zmq::context_t& ctx, const std::string& endpoint, const std::string& identity, int users);

  bool Send() override;
  // Counts TaskResults only; an Error in answer to a task is counted in
  // errors() and never comes back as an answer.
  int Receive(int timeout_ms) override;

  // The runtime's status (agents, router counters). Call it with no task in
  // flight: answers that arrive meanwhile are not counted.
  Result<v1::StatusReply> QueryStatus(int timeout_ms);

  const std::map<std::string, uint64_t>& answers_by_worker() const { return by_worker_; }
  uint64_t errors() const { return errors_; }
  const std::string& last_error() const { return last_error_; }

 private:
  std::unique_ptr<bus::BusClient> client_;
  std::string identity_;
  int users_;
  uint64_t next_ = 0;
  std::map<std::string, uint64_t> by_worker_;
  uint64_t errors_ = 0;
  std::string last_error_;
};

}  // namespace kaizen::bench
