// The worker function of the router benchmark, and the bus peers around it:
// a tiny stand-in for a model (it answers with a fixed label), so what is
// measured is the way to the worker, not the work.
#pragma once

#include <memory>
#include <string>

#include <zmq.hpp>

#include "bench/background.h"
#include "bench/pinger.h"
#include "task.pb.h"

namespace kaizen::bench {

// The work: a TaskResult for `task`.
v1::TaskResult ServeTask(const v1::Task& task, const std::string& worker_id);

// A worker agent: a BusClient `id` that answers every Task sent to it with
// a TaskResult to the sender (as the worker agent does through the runtime).
std::unique_ptr<Background> StartBusWorker(zmq::context_t& ctx, const std::string& endpoint, const std::string& id);

// A worker reached directly: it binds `endpoint` with a Broker (same frame
// checks) and answers each Task itself; no runtime in between.
std::unique_ptr<Background> StartDirectWorker(zmq::context_t& ctx, const std::string& endpoint);

// A client: a BusClient "client" that sends Tasks (unique ids, routing keys
// over `users` users, a 100-byte input) to `recipient` and counts answers.
std::unique_ptr<Pinger> MakeTaskPinger(zmq::context_t& ctx, const std::string& endpoint, const std::string& recipient,
                                       int users);

}  // namespace kaizen::bench
