// RoutingNode: the runtime's task path without the rest of the runtime. A
// Broker on its own thread; a Task from a client goes through TaskRouter
// (exactly-once bookkeeping) and TrafficPolicy (an A/B split sticky per
// routing key) to a worker; the worker's TaskResult goes back through
// TaskRouter::OnAnswer to the client, as Runtime::OnTask / OnTaskResult do.
// Not journaled: the journal's cost is figure 1's.
#pragma once

#include <memory>
#include <string>

#include <zmq.hpp>

#include "bench/background.h"

namespace kaizen::bench {

struct RoutingSplit {
  std::string incumbent = "worker-clone", candidate = "worker";
  double candidate_weight = 0.1;  // the first rollout step of the demo
};

std::unique_ptr<Background> StartRoutingNode(zmq::context_t& ctx, const std::string& endpoint,
                                             const RoutingSplit& split);

}  // namespace kaizen::bench
