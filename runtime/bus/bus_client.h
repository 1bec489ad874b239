// BusClient: an agent's or CLI's side of the bus. A DEALER (identity = the
// peer id) for control traffic and, optionally, a SUB for events. With a
// server key set, both are CURVE clients with the same key pair.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <zmq.hpp>

#include "runtime/base/result.h"
#include "runtime/bus/curve_keys.h"
#include "runtime/bus/envelope_codec.h"

namespace kaizen::bus {

class BusClient {
 public:
  struct Options {
    std::string identity;
    std::string control_endpoint;
    size_t max_frame_bytes = 1 << 20;
    int linger_ms = 0;  // how long unsent messages may delay closing
    // CURVE: on when curve_server_key (the runtime's public key, Z85) is set;
    // curve_keys is then this peer's own pair. A key the runtime does not
    // list is refused during the handshake: nothing is sent or received.
    std::string curve_server_key{};
    CurveKeyPair curve_keys{};
  };
  struct Event {
    std::string topic;
    Envelope envelope;
  };

  static Result<std::unique_ptr<BusClient>> Connect(zmq::context_t& context, const Options& options);

  const std::string& identity() const { return options_.identity; }

  // Fills in sender, message id and timestamp when missing, then sends.
  Status Send(Envelope& envelope);
  // Waits up to timeout_ms (0 = don't wait) for a control message.
  // Malformed frames are dropped and counted (dropped()).
  std::optional<Envelope> Receive(int timeout_ms);
  // Sends `request` and waits for the reply whose correlation id matches,
  // ignoring anything else (heartbeats). Timeout -> Status::Unavailable.
  Result<Envelope> Call(Envelope request, int timeout_ms);

  // Events: subscribe to topic prefixes ("" = everything).
  Status SubscribeEvents(const std::string& endpoint, const std::vector<std::string>& topics);
  std::optional<Event> ReceiveEvent(int timeout_ms);

  // Replaces the control socket (Paranoid Pirate: after the runtime went
  // silent, a fresh connection avoids queued stale traffic).
  Status Reconnect();

  zmq::socket_t& control() { return *control_; }
  zmq::socket_t* events() { return events_.get(); }
  uint64_t dropped() const { return dropped_; }

 private:
  BusClient(zmq::context_t& context, Options options) : context_(context), options_(std::move(options)) {}
  Status OpenControl();
  void ApplyCurve(zmq::socket_t& socket) const;
  zmq::context_t& context_;
  Options options_;
  std::unique_ptr<zmq::socket_t> control_;
  std::unique_ptr<zmq::socket_t> events_;
  uint64_t dropped_ = 0;
};

}  // namespace kaizen::bus
