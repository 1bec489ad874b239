#include "bench/connect.h"

#include <unistd.h>

#include <stdexcept>

#include "runtime/bus/envelope_codec.h"

namespace kaizen::bench {

std::unique_ptr<bus::BusClient> ConnectClient(zmq::context_t& ctx, const std::string& endpoint, const std::string& id) {
  bus::BusClient::Options o;
  o.identity = id;
  o.control_endpoint = endpoint;
  auto c = bus::BusClient::Connect(ctx, o);
  if (!c.ok()) throw std::runtime_error(c.status().ToString());
  return std::move(c.value());
}

std::unique_ptr<bus::BusClient> ConnectCliPeer(zmq::context_t& ctx, const std::string& endpoint, const std::string& id) {
  auto client = ConnectClient(ctx, endpoint, id);
  bus::Envelope hello = bus::MakeEnvelope(id, "runtime");
  hello.mutable_hello()->set_role("cli");
  hello.mutable_hello()->set_pid(::getpid());
  auto welcome = client->Call(std::move(hello), 5000);
  if (!welcome.ok() || !welcome->has_welcome())
    throw std::runtime_error("the runtime did not welcome " + id + " at " + endpoint);
  return client;
}

}  // namespace kaizen::bench
