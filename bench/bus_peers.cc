#include "bench/bus_peers.h"

#include <stdexcept>

#include "runtime/base/ids.h"
#include "bench/connect.h"
#include "runtime/bus/bus_client.h"

namespace kaizen::bench {
namespace {

constexpr int kHwm = 100000;  // as Broker and BusClient

bus::Envelope Request(size_t payload_bytes) {
  bus::Envelope e;
  e.set_recipient("b");
  e.mutable_task()->set_task_id("t");
  e.mutable_task()->set_input(std::string(payload_bytes, 'x'));
  return e;
}

class KaizenPinger : public Pinger {
 public:
  KaizenPinger(zmq::context_t& ctx, const std::string& endpoint, size_t payload_bytes)
      : client_(ConnectClient(ctx, endpoint, "a")), request_(Request(payload_bytes)) {}
  bool Send() override {
    bus::Envelope e = request_;  // a fresh message id and time each time
    return client_->Send(e).ok();
  }
  int Receive(int timeout_ms) override {
    int n = 0;
    for (int wait = timeout_ms; client_->Receive(wait); wait = 0) ++n;
    return n;
  }

 private:
  std::unique_ptr<bus::BusClient> client_;
  bus::Envelope request_;
};

zmq::socket_t RawSocket(zmq::context_t& ctx, zmq::socket_type type) {
  zmq::socket_t s(ctx, type);
  s.set(zmq::sockopt::linger, 0);
  s.set(zmq::sockopt::sndhwm, kHwm);
  s.set(zmq::sockopt::rcvhwm, kHwm);
  return s;
}

class RawPinger : public Pinger {
 public:
  RawPinger(zmq::context_t& ctx, const std::string& endpoint, size_t frame_bytes)
      : socket_(RawSocket(ctx, zmq::socket_type::dealer)), frame_(frame_bytes, 'x') {
    socket_.set(zmq::sockopt::routing_id, "a");
    socket_.connect(endpoint);
  }
  bool Send() override { return socket_.send(zmq::buffer(frame_), zmq::send_flags::dontwait).has_value(); }
  int Receive(int timeout_ms) override {
    zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, std::chrono::milliseconds(timeout_ms)) <= 0) return 0;
    int n = 0;
    zmq::message_t m;
    while (socket_.recv(m, zmq::recv_flags::dontwait)) ++n;
    return n;
  }

 private:
  zmq::socket_t socket_;
  std::string frame_;
};

bool Readable(zmq::socket_t& s) {
  zmq::pollitem_t item{s.handle(), 0, ZMQ_POLLIN, 0};
  return zmq::poll(&item, 1, std::chrono::milliseconds(50)) > 0;
}

}  // namespace

size_t KaizenFrameBytes(size_t payload_bytes) {
  bus::Envelope e = Request(payload_bytes);
  e.set_sender("a");
  e.set_message_id(NewId());
  e.set_timestamp_ms(1795513836111);
  return bus::Encode(e).size();
}

std::unique_ptr<Pinger> MakeKaizenPinger(zmq::context_t& ctx, const std::string& endpoint, size_t payload_bytes) {
  return std::make_unique<KaizenPinger>(ctx, endpoint, payload_bytes);
}

std::unique_ptr<Pinger> MakeRawPinger(zmq::context_t& ctx, const std::string& endpoint, size_t frame_bytes) {
  return std::make_unique<RawPinger>(ctx, endpoint, frame_bytes);
}

std::unique_ptr<Background> StartKaizenEcho(zmq::context_t& ctx, const std::string& endpoint) {
  std::shared_ptr<bus::BusClient> client = ConnectClient(ctx, endpoint, "b");
  return std::make_unique<Background>("kaizen-echo", [client](const std::atomic<bool>& stop) {
    while (!stop.load(std::memory_order_relaxed)) {
      for (int wait = 50; auto in = client->Receive(wait); wait = 0) {
        // What an agent's Reply does: answer the sender, correlated, same body.
        bus::Envelope reply;
        reply.set_recipient(in->sender());
        reply.set_correlation_id(in->message_id());
        *reply.mutable_task() = std::move(*in->mutable_task());
        (void)client->Send(reply);
      }
    }
  });
}

std::unique_ptr<Background> StartRawEcho(zmq::context_t& ctx, const std::string& endpoint) {
  auto socket = std::make_shared<zmq::socket_t>(RawSocket(ctx, zmq::socket_type::dealer));
  socket->set(zmq::sockopt::routing_id, "b");
  socket->connect(endpoint);
  return std::make_unique<Background>("raw-echo", [socket](const std::atomic<bool>& stop) {
    zmq::message_t m;
    while (!stop.load(std::memory_order_relaxed)) {
      if (!Readable(*socket)) continue;
      while (socket->recv(m, zmq::recv_flags::dontwait)) (void)socket->send(m, zmq::send_flags::dontwait);
    }
  });
}

std::unique_ptr<Background> StartRawRelay(zmq::context_t& ctx, const std::string& endpoint) {
  auto socket = std::make_shared<zmq::socket_t>(RawSocket(ctx, zmq::socket_type::router));
  socket->bind(endpoint);
  return std::make_unique<Background>("raw-relay", [socket](const std::atomic<bool>& stop) {
    zmq::message_t id, body;
    while (!stop.load(std::memory_order_relaxed)) {
      if (!Readable(*socket)) continue;
      for (int i = 0; i < 2000 && socket->recv(id, zmq::recv_flags::dontwait); ++i) {
        if (!socket->recv(body, zmq::recv_flags::dontwait)) continue;
        const char* to = id.to_string_view() == "a" ? "b" : "a";
        (void)socket->send(zmq::buffer(std::string_view(to)), zmq::send_flags::sndmore | zmq::send_flags::dontwait);
        (void)socket->send(body, zmq::send_flags::dontwait);
      }
    }
  });
}

std::unique_ptr<Background> StartRawRouterEcho(zmq::context_t& ctx, const std::string& endpoint) {
  auto socket = std::make_shared<zmq::socket_t>(RawSocket(ctx, zmq::socket_type::router));
  socket->bind(endpoint);
  return std::make_unique<Background>("raw-router-echo", [socket](const std::atomic<bool>& stop) {
    zmq::message_t id, body;
    while (!stop.load(std::memory_order_relaxed)) {
      if (!Readable(*socket)) continue;
      for (int i = 0; i < 2000 && socket->recv(id, zmq::recv_flags::dontwait); ++i) {
        if (!socket->recv(body, zmq::recv_flags::dontwait)) continue;
        (void)socket->send(id, zmq::send_flags::sndmore | zmq::send_flags::dontwait);
        (void)socket->send(body, zmq::send_flags::dontwait);
      }
    }
  });
}

}  // namespace kaizen::bench
