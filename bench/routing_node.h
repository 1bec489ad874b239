// RoutingNode: the runtime's task path without the rest of the runtime. A
// Broker on its own thread; a Task from a client goes through TaskRouter
// (exactly-once bookkeeping) and TrafficPolicy (an A/B split sticky per
// routing key) to a worker; the worker's TaskResult goes back through
// TaskRouter::OnAnswer to the client, as Runtime::OnTask / OnTaskResult do.
// With a db_path, also as the runtime persists tasks (exactly once across a
// crash): each accepted task stored, each answer stored and journaled as a
// task_result event in the poll turn's transaction (core::Journal), the
// answer sent after the commit; a new task id is first looked up in the store.
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
                                             const RoutingSplit& split, const std::string& db_path = "");

}  // namespace kaizen::bench
