#include "runtime/bus/bus_client.h"

#include <spdlog/spdlog.h>

#include "runtime/base/clock.h"
#include "runtime/base/ids.h"
#include "runtime/bus/endpoint.h"

namespace kaizen::bus {

Result<std::unique_ptr<BusClient>> BusClient::Connect(zmq::context_t& context, const Options& options) {
  if (options.identity.empty()) return Status::InvalidArgument("a bus client needs an identity");
  Status s = ValidateEndpoint(options.control_endpoint);
  if (!s.ok()) return s;
  if (!options.curve_server_key.empty() &&
      !(IsZ85Key(options.curve_server_key) && IsZ85Key(options.curve_keys.public_key) &&
        IsZ85Key(options.curve_keys.secret_key))) {
    return Status::InvalidArgument("CURVE needs the server's public key and a key pair, 40 Z85 characters each");
  }
  std::unique_ptr<BusClient> c(new BusClient(context, options));
  s = c->OpenControl();
  if (!s.ok()) return s;
  return c;
}

Status BusClient::OpenControl() {
  try {
    auto sock = std::make_unique<zmq::socket_t>(context_, zmq::socket_type::dealer);
    sock->set(zmq::sockopt::routing_id, options_.identity);
    sock->set(zmq::sockopt::linger, options_.linger_ms);
    sock->set(zmq::sockopt::sndhwm, 100000);
    sock->set(zmq::sockopt::rcvhwm, 100000);
    sock->set(zmq::sockopt::reconnect_ivl, 100);
    sock->set(zmq::sockopt::reconnect_ivl_max, 1000);
    ApplyCurve(*sock);
    sock->connect(options_.control_endpoint);
    control_ = std::move(sock);
  } catch (const zmq::error_t& e) {
    return Status::IOError("cannot connect to " + options_.control_endpoint + ": " + e.what());
  }
  return Status::OK();
}

void BusClient::ApplyCurve(zmq::socket_t& socket) const {
  if (options_.curve_server_key.empty()) return;
  socket.set(zmq::sockopt::curve_serverkey, options_.curve_server_key);
  socket.set(zmq::sockopt::curve_publickey, options_.curve_keys.public_key);
  socket.set(zmq::sockopt::curve_secretkey, options_.curve_keys.secret_key);
}

Status BusClient::Reconnect() {
  control_.reset();
  return OpenControl();
}

Status BusClient::Send(Envelope& envelope) {
  if (envelope.sender().empty()) envelope.set_sender(options_.identity);
  if (envelope.message_id().empty()) envelope.set_message_id(NewId());
  if (envelope.timestamp_ms() == 0) envelope.set_timestamp_ms(WallMs());
  zmq::message_t frame = EncodeFrame(envelope);
  try {
    if (!control_->send(frame, zmq::send_flags::dontwait)) {
      return Status::Unavailable("bus send queue full (runtime not reading?)");
    }
  } catch (const zmq::error_t& e) {
    return Status::IOError(std::string("bus send failed: ") + e.what());
  }
  return Status::OK();
}

std::optional<Envelope> BusClient::Receive(int timeout_ms) {
  zmq::pollitem_t item{control_->handle(), 0, ZMQ_POLLIN, 0};
  if (zmq::poll(&item, 1, std::chrono::milliseconds(timeout_ms)) <= 0) return std::nullopt;
  zmq::message_t frame;
  if (!control_->recv(frame, zmq::recv_flags::dontwait)) return std::nullopt;
  Decoded d = Decode(frame.data(), frame.size(), options_.max_frame_bytes);
  if (d.error != DecodeError::kNone) {
    ++dropped_;
    spdlog::warn("bus: dropped a malformed control frame ({} bytes)", frame.size());
    return std::nullopt;
  }
  return std::move(d.envelope);
}

Result<Envelope> BusClient::Call(Envelope request, int timeout_ms) {
  Status s = Send(request);
  if (!s.ok()) return s;
  int64_t deadline = MonoMs() + timeout_ms;
  for (int64_t now = MonoMs(); now < deadline; now = MonoMs()) {
    auto reply = Receive(static_cast<int>(deadline - now));
    if (reply && reply->correlation_id() == request.message_id()) return std::move(*reply);
  }
  return Status::Unavailable("no answer from the runtime at " + options_.control_endpoint + " within " +
                             std::to_string(timeout_ms) + " ms");
}

Status BusClient::SubscribeEvents(const std::string& endpoint, const std::vector<std::string>& topics) {
  Status s = ValidateEndpoint(endpoint);
  if (!s.ok()) return s;
  try {
    auto sock = std::make_unique<zmq::socket_t>(context_, zmq::socket_type::sub);
    sock->set(zmq::sockopt::linger, 0);
    sock->set(zmq::sockopt::rcvhwm, 100000);
    for (const auto& t : topics) sock->set(zmq::sockopt::subscribe, t);
    ApplyCurve(*sock);
    sock->connect(endpoint);
    events_ = std::move(sock);
  } catch (const zmq::error_t& e) {
    return Status::IOError("cannot subscribe to " + endpoint + ": " + e.what());
  }
  return Status::OK();
}

std::optional<BusClient::Event> BusClient::ReceiveEvent(int timeout_ms) {
  if (!events_) return std::nullopt;
  zmq::pollitem_t item{events_->handle(), 0, ZMQ_POLLIN, 0};
  if (zmq::poll(&item, 1, std::chrono::milliseconds(timeout_ms)) <= 0) return std::nullopt;
  zmq::message_t topic, body;
  if (!events_->recv(topic, zmq::recv_flags::dontwait)) return std::nullopt;
  if (!events_->get(zmq::sockopt::rcvmore)) {
    ++dropped_;
    return std::nullopt;
  }
  (void)events_->recv(body, zmq::recv_flags::dontwait);
  while (events_->get(zmq::sockopt::rcvmore)) {  // discard extra frames
    zmq::message_t extra;
    (void)events_->recv(extra, zmq::recv_flags::dontwait);
  }
  Decoded d = Decode(body.data(), body.size(), options_.max_frame_bytes);
  if (d.error != DecodeError::kNone) {
    ++dropped_;
    return std::nullopt;
  }
  return Event{topic.to_string(), std::move(d.envelope)};
}

}  // namespace kaizen::bus
