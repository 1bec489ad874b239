#include "bench/connect.h"

#include <stdexcept>

namespace kaizen::bench {

std::unique_ptr<bus::BusClient> ConnectClient(zmq::context_t& ctx, const std::string& endpoint, const std::string& id) {
  bus::BusClient::Options o;
  o.identity = id;
  o.control_endpoint = endpoint;
  auto c = bus::BusClient::Connect(ctx, o);
  if (!c.ok()) throw std::runtime_error(c.status().ToString());
  return std::move(c.value());
}

}  // namespace kaizen::bench
