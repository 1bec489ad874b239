// The bus side of the gateway benchmark: what the gateway itself does for
// each HTTP request, without HTTP. A BusClient registered as a CLI peer
// (Hello) sends each request as a Task envelope to "runtime" and reads the
// TaskResult the runtime sends back once the answer is committed, for the
// open-loop driver (one thread, no limit on requests in flight).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "bench/open_loop.h"
#include "runtime/bus/bus_client.h"

namespace kaizen::bench {

// A task's input and routing key (the HTTP body's "input" and "user").
struct TaskSpec {
  std::string input;
  std::string user;
};

class BusTransport : public Transport {
 public:
  // Connects as `identity` and says Hello; throws if the runtime does not
  // answer. Request i is specs[i % size] with task id "<run>-<i>".
  BusTransport(zmq::context_t& ctx, const std::string& endpoint, const std::string& identity, std::string run,
               std::vector<TaskSpec> specs);

  void Issue(uint64_t i) override;
  void Wait(int64_t deadline_ns, const Done& done) override;
  nlohmann::json Stats() const override;

 private:
  std::unique_ptr<bus::BusClient> client_;
  std::string run_;
  std::vector<TaskSpec> specs_;
  std::vector<uint64_t> failed_;  // not sent: reported by the next Wait
  DeadlineTimer timer_;
  uint64_t errors_ = 0, other_ = 0;
};

}  // namespace kaizen::bench
