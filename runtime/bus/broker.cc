#include "runtime/bus/broker.h"

#include <spdlog/spdlog.h>

#include "runtime/bus/endpoint.h"

namespace kaizen::bus {
namespace {

// Printable form of a peer identity (it may be arbitrary bytes).
std::string Printable(const std::string& s) {
  std::string out;
  for (unsigned char c : s.substr(0, 64)) {
    if (c >= 0x20 && c < 0x7f) out += static_cast<char>(c);
    else {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    }
  }
  return out;
}

}  // namespace

Broker::Broker(zmq::context_t& context, const Options& options)
    : options_(options), control_(context, zmq::socket_type::router), events_(context, zmq::socket_type::xpub) {}

Result<std::unique_ptr<Broker>> Broker::Bind(zmq::context_t& context, const Options& options) {
  for (const auto& ep : {options.control_endpoint, options.events_endpoint}) {
    Status s = ValidateEndpoint(ep);
    if (!s.ok()) return s;
  }
  std::unique_ptr<Broker> b(new Broker(context, options));
  const bool curve = !options.curve_secret_key.empty();
  if (curve) {
    // Before the sockets bind: no handshake may find the handler missing
    // (libzmq would then admit any key).
    auto zap = ZapHandler::Start(context, options.curve_clients, [c = &b->counters_] { c->OnRejectedKey(); });
    if (!zap.ok()) return zap.status();
    b->zap_ = std::move(zap.value());
  }
  try {
    if (curve) {
      for (zmq::socket_t* s : {&b->control_, &b->events_}) {
        s->set(zmq::sockopt::curve_server, 1);
        s->set(zmq::sockopt::curve_secretkey, options.curve_secret_key);
        s->set(zmq::sockopt::zap_domain, "kaizen");
      }
    }
    // A restarted agent reconnects with the same identity before the old
    // connection is noticed as gone: the new one must take it over.
    b->control_.set(zmq::sockopt::router_handover, 1);
    // Fail loudly (EHOSTUNREACH) instead of silently dropping replies to
    // peers that are gone.
    b->control_.set(zmq::sockopt::router_mandatory, 1);
    b->control_.set(zmq::sockopt::linger, 0);
    // Frames up to 4x the limit are read and counted as oversized; beyond
    // that libzmq cuts the connection before buffering them (memory guard).
    b->control_.set(zmq::sockopt::maxmsgsize, static_cast<int64_t>(options.max_frame_bytes) * 4 + 4096);
    b->control_.set(zmq::sockopt::rcvhwm, 100000);
    b->control_.set(zmq::sockopt::sndhwm, 100000);
    b->events_.set(zmq::sockopt::linger, 0);
    b->events_.set(zmq::sockopt::sndhwm, 100000);
    RemoveStaleIpcSocket(options.control_endpoint);
    RemoveStaleIpcSocket(options.events_endpoint);
    b->control_.bind(options.control_endpoint);
    b->events_.bind(options.events_endpoint);
    b->control_endpoint_ = b->control_.get(zmq::sockopt::last_endpoint);
    b->events_endpoint_ = b->events_.get(zmq::sockopt::last_endpoint);
  } catch (const zmq::error_t& e) {
    return Status::IOError("cannot bind bus (" + options.control_endpoint + ", " + options.events_endpoint +
                           "): " + e.what());
  }
  return b;
}

std::optional<Broker::Incoming> Broker::Receive(bool* read_something) {
  *read_something = false;
  // Only the first two frames are kept: a hostile peer may send thousands.
  zmq::message_t frames[2];
  size_t count = 0;
  try {
    if (!control_.recv(frames[0], zmq::recv_flags::dontwait)) return std::nullopt;
    *read_something = true;
    count = 1;
    while (control_.get(zmq::sockopt::rcvmore)) {
      zmq::message_t more;
      if (!control_.recv(more, zmq::recv_flags::dontwait)) break;
      if (count < 2) frames[count] = std::move(more);
      ++count;
    }
  } catch (const zmq::error_t& e) {
    // A frame over maxmsgsize never reaches us (libzmq closes that peer), so
    // an error here is a transient socket condition such as EINTR.
    spdlog::warn("bus: receive failed: {}", e.what());
    return std::nullopt;
  }
  counters_.OnReceived();
  std::string identity = frames[0].to_string();
  if (count != 2) {
    Drop(DropReason::kMalformed, identity, "expected 2 frames [identity, envelope], got " + std::to_string(count));
    return std::nullopt;
  }
  Decoded d = Decode(frames[1].data(), frames[1].size(), options_.max_frame_bytes);
  if (d.error == DecodeError::kOversized) {
    Drop(DropReason::kOversized, identity, std::to_string(frames[1].size()) + " bytes > max_frame_bytes " +
                                                std::to_string(options_.max_frame_bytes));
    return std::nullopt;
  }
  if (d.error == DecodeError::kMalformed) {
    Drop(DropReason::kMalformed, identity, std::to_string(frames[1].size()) + " bytes that are not an Envelope");
    return std::nullopt;
  }
  if (d.envelope.sender() != identity) {
    Drop(DropReason::kForgedSender, identity, "envelope claims sender '" + Printable(d.envelope.sender()) + "'");
    return std::nullopt;
  }
  // libzmq attaches the ZAP user id (the key's role) to every frame from a
  // CURVE peer; the identity frame is made by the ROUTER and has none.
  const char* role = zmq_msg_gets(frames[1].handle(), "User-Id");
  return Incoming{std::move(identity), std::move(d.envelope), role ? role : "",
                  std::make_shared<zmq::message_t>(std::move(frames[1]))};
}

bool Broker::Send(const std::string& identity, const Envelope& envelope) {
  return SendFrame(identity, EncodeFrame(envelope));
}

bool Broker::Forward(const std::string& identity, const Incoming& in) {
  if (!in.frame) return Send(identity, in.envelope);
  zmq::message_t frame;
  frame.copy(*in.frame);  // shares the buffer (reference-counted), no byte copy
  return SendFrame(identity, std::move(frame));
}

bool Broker::SendFrame(const std::string& identity, zmq::message_t frame) {
  try {
    if (!control_.send(zmq::buffer(identity), zmq::send_flags::sndmore | zmq::send_flags::dontwait)) return false;
    if (!control_.send(frame, zmq::send_flags::dontwait)) return false;
  } catch (const zmq::error_t& e) {
    if (e.num() != EHOSTUNREACH) spdlog::warn("bus: send to {} failed: {}", Printable(identity), e.what());
    return false;
  }
  counters_.OnSent();
  return true;
}

void Broker::Publish(const std::string& topic, const Envelope& envelope) { PublishEncoded(topic, Encode(envelope)); }

void Broker::PublishEncoded(const std::string& topic, const std::string& payload) {
  try {
    events_.send(zmq::buffer(topic), zmq::send_flags::sndmore);
    events_.send(zmq::buffer(payload), zmq::send_flags::none);
    counters_.OnPublished();
  } catch (const zmq::error_t& e) {
    spdlog::warn("bus: publish failed: {}", e.what());
  }
}

void Broker::DrainSubscriptions() {
  zmq::message_t msg;
  try {
    while (events_.recv(msg, zmq::recv_flags::dontwait)) {
    }
  } catch (const zmq::error_t&) {
  }
}

void Broker::Drop(DropReason reason, const std::string& identity, const std::string& why) {
  if (counters_.OnDropped(reason)) {
    spdlog::warn("bus: dropped {} frame from '{}': {} ({} dropped so far)", DropReasonName(reason),
                 Printable(identity), why, counters_.dropped(reason));
  }
}

}  // namespace kaizen::bus
