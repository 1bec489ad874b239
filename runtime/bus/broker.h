// Broker: the runtime's side of the bus. A ROUTER socket for control traffic
// (requests, replies, commands, heartbeats) and an XPUB socket for events.
//
// Every control frame is checked before anyone sees it: a frame that is not
// [identity, Envelope], is oversized, or whose envelope sender differs from
// the socket identity is dropped, counted and logged. Never fatal.
//
// With CURVE on, both sockets are CURVE servers, a ZapHandler admits only the
// listed public keys, and each message carries the role its sender's key was
// admitted as (Incoming::auth_role).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>

#include <zmq.hpp>

#include "runtime/base/result.h"
#include "runtime/bus/bus_counters.h"
#include "runtime/bus/envelope_codec.h"
#include "runtime/bus/zap_handler.h"

namespace kaizen::bus {

class Broker {
 public:
  struct Options {
    std::string control_endpoint;
    std::string events_endpoint;
    size_t max_frame_bytes = 1 << 20;
    // CURVE: on when curve_secret_key is set (Z85); only the keys in
    // curve_clients (public key -> role) may connect.
    std::string curve_secret_key{};
    ZapHandler::KeyRoles curve_clients{};
  };
  struct Incoming {
    std::string identity;
    Envelope envelope;
    std::string auth_role{};  // with CURVE: "agent", "feedback" or "admin"; else ""
    // The envelope's bytes as received, so a relayed message is sent on as
    // is instead of encoded again (Forward). Shared: Incoming stays copyable.
    std::shared_ptr<zmq::message_t> frame{};
  };

  static Result<std::unique_ptr<Broker>> Bind(zmq::context_t& context, const Options& options);

  // The endpoints actually bound (a tcp port given as * is resolved).
  const std::string& control_endpoint() const { return control_endpoint_; }
  const std::string& events_endpoint() const { return events_endpoint_; }

  zmq::socket_t& control() { return control_; }
  zmq::socket_t& events() { return events_; }

  // Reads one frame set without blocking. Returns a checked message, or
  // nullopt when there was nothing to read or what was read was dropped
  // (`*read_something` tells which, so callers can drain the socket).
  std::optional<Incoming> Receive(bool* read_something);

  // Sends to one peer by identity. False if the peer is not connected.
  bool Send(const std::string& identity, const Envelope& envelope);
  // Relays a received message to another peer: the bytes as received when
  // Receive kept them (in.envelope must be unchanged since), else encoded.
  bool Forward(const std::string& identity, const Incoming& in);
  // Publishes [topic, envelope] on the event socket.
  void Publish(const std::string& topic, const Envelope& envelope);
  // The same with the envelope already encoded (the journal has the bytes).
  void PublishEncoded(const std::string& topic, const std::string& encoded);
  // XPUB delivers subscription frames upward; read and discard them.
  void DrainSubscriptions();

  // Counts and (rate-limited) logs a refused message.
  void Drop(DropReason reason, const std::string& identity, const std::string& why);
  const BusCounters& counters() const { return counters_; }

 private:
  Broker(zmq::context_t& context, const Options& options);
  bool SendFrame(const std::string& identity, zmq::message_t frame);
  Options options_;
  zmq::socket_t control_;
  zmq::socket_t events_;
  std::string control_endpoint_, events_endpoint_;
  BusCounters counters_;
  std::unique_ptr<ZapHandler> zap_;  // last: stopped before the counters it counts into go
};

}  // namespace kaizen::bus
