// A bus client for the benchmarks: connected, or an exception that ends the run.
#pragma once

#include <memory>
#include <string>

#include <zmq.hpp>

#include "runtime/bus/bus_client.h"

namespace kaizen::bench {

std::unique_ptr<bus::BusClient> ConnectClient(zmq::context_t& ctx, const std::string& endpoint, const std::string& id);
// Connected and welcomed by the runtime as a CLI peer (which may submit tasks).
std::unique_ptr<bus::BusClient> ConnectCliPeer(zmq::context_t& ctx, const std::string& endpoint, const std::string& id);

}  // namespace kaizen::bench
