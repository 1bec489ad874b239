#include "runtime/bus/zap_handler.h"

#include <vector>

#include <spdlog/spdlog.h>
#include <zmq.h>

namespace kaizen::bus {
namespace {

constexpr const char* kZapEndpoint = "inproc://zeromq.zap.01";

std::string Z85(const zmq::message_t& key) {
  if (key.size() != 32) return "(" + std::to_string(key.size()) + "-byte credential)";
  char text[41];
  if (zmq_z85_encode(text, static_cast<const uint8_t*>(key.data()), 32) == nullptr) return "(unencodable key)";
  return text;
}

}  // namespace

ZapHandler::ZapHandler(zmq::context_t& context, KeyRoles keys, OnReject on_reject)
    : keys_(std::move(keys)),
      on_reject_(std::move(on_reject)),
      handler_(context, zmq::socket_type::rep),
      stop_send_(context, zmq::socket_type::pair),
      stop_recv_(context, zmq::socket_type::pair) {}

Result<std::unique_ptr<ZapHandler>> ZapHandler::Start(zmq::context_t& context, KeyRoles keys, OnReject on_reject) {
  std::unique_ptr<ZapHandler> z(new ZapHandler(context, std::move(keys), std::move(on_reject)));
  try {
    for (zmq::socket_t* s : {&z->handler_, &z->stop_send_, &z->stop_recv_}) s->set(zmq::sockopt::linger, 0);
    z->handler_.bind(kZapEndpoint);
    // The address is unique per handler object, so tests may run several contexts.
    std::string stop = "inproc://kaizen.zap.stop." + std::to_string(reinterpret_cast<uintptr_t>(z.get()));
    z->stop_recv_.bind(stop);
    z->stop_send_.connect(stop);
  } catch (const zmq::error_t& e) {
    return Status::IOError(std::string("cannot start the CURVE authentication handler: ") + e.what());
  }
  // The sockets were made on this thread; the thread start is the memory
  // barrier that lets the handler thread own handler_ and stop_recv_ from now on.
  z->thread_ = std::thread([h = z.get()] { h->Serve(); });
  return z;
}

ZapHandler::~ZapHandler() {
  if (thread_.joinable()) {
    try {
      stop_send_.send(zmq::str_buffer("stop"), zmq::send_flags::none);
    } catch (const zmq::error_t& e) {
      spdlog::error("zap: cannot stop the handler thread: {}", e.what());
    }
    thread_.join();
  }
}

void ZapHandler::Serve() {
  while (true) {
    zmq::pollitem_t items[2] = {{handler_.handle(), 0, ZMQ_POLLIN, 0}, {stop_recv_.handle(), 0, ZMQ_POLLIN, 0}};
    try {
      zmq::poll(items, 2, std::chrono::milliseconds(-1));
      if (items[1].revents & ZMQ_POLLIN) return;
      if (items[0].revents & ZMQ_POLLIN) Answer();
    } catch (const zmq::error_t& e) {
      if (e.num() == ETERM) return;
      if (e.num() != EINTR) spdlog::warn("zap: {}", e.what());
    }
  }
}

void ZapHandler::Answer() {
  // [version, request id, domain, address, routing id, mechanism, credentials...]
  std::vector<zmq::message_t> req;
  do {
    zmq::message_t frame;
    if (!handler_.recv(frame, zmq::recv_flags::dontwait)) break;
    req.push_back(std::move(frame));
  } while (handler_.get(zmq::sockopt::rcvmore));

  std::string code = "400", text = "key not listed", user_id;
  std::string address = req.size() > 3 ? req[3].to_string() : "";
  std::string key = req.size() > 6 ? Z85(req[6]) : "(no credential)";
  if (req.size() < 6 || req[0].to_string_view() != "1.0") {
    code = "500";
    text = "malformed ZAP request";
  } else if (req[5].to_string_view() != "CURVE") {
    text = "only CURVE is accepted";
  } else if (auto it = keys_.find(key); it != keys_.end()) {
    code = "200";
    text = "OK";
    user_id = it->second;
  }

  if (code == "200") {
    admitted_.fetch_add(1);
  } else {
    uint64_t n = rejected_.fetch_add(1) + 1;
    if (on_reject_) on_reject_();
    if (n <= 20 || n % 1000 == 0) {
      spdlog::warn("bus: refused CURVE key {} from {}: {} ({} refused so far)", key,
                   address.empty() ? "a local socket" : address, text, n);
    }
  }
  std::string request_id = req.size() > 1 ? req[1].to_string() : "";
  try {
    handler_.send(zmq::str_buffer("1.0"), zmq::send_flags::sndmore);
    handler_.send(zmq::buffer(request_id), zmq::send_flags::sndmore);
    handler_.send(zmq::buffer(code), zmq::send_flags::sndmore);
    handler_.send(zmq::buffer(text), zmq::send_flags::sndmore);
    handler_.send(zmq::buffer(user_id), zmq::send_flags::sndmore);
    handler_.send(zmq::message_t(), zmq::send_flags::none);  // no metadata
  } catch (const zmq::error_t& e) {
    spdlog::warn("zap: cannot answer: {}", e.what());
  }
}

}  // namespace kaizen::bus
