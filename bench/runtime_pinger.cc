#include "bench/runtime_pinger.h"

#include <unistd.h>

#include <stdexcept>

#include "bench/connect.h"

namespace kaizen::bench {

RuntimePinger::RuntimePinger(zmq::context_t& ctx, const std::string& endpoint, const std::string& identity, int users)
    : client_(ConnectCliPeer(ctx, endpoint, identity)), identity_(identity), users_(users) {}

bool RuntimePinger::Send() {
  bus::Envelope e;
  e.set_recipient("runtime");
  const std::string id = identity_ + "-" + std::to_string(next_);
  e.set_message_id(id);
  v1::Task* t = e.mutable_task();
  t->set_task_id(id);
  t->set_routing_key("user-" + std::to_string(next_ % static_cast<uint64_t>(users_)));
  t->set_input(std::string(100, 'x'));
  ++next_;
  return client_->Send(e).ok();
}

int RuntimePinger::Receive(int timeout_ms) {
  int n = 0;
  for (int wait = timeout_ms; auto in = client_->Receive(wait); wait = 0) {
    if (in->has_task_result()) {
      ++n;
      ++by_worker_[in->task_result().worker_id()];
    } else if (in->has_error()) {
      ++errors_;
      last_error_ = in->error().message();
    }
  }
  return n;
}

Result<v1::StatusReply> RuntimePinger::QueryStatus(int timeout_ms) {
  bus::Envelope req = bus::MakeEnvelope(identity_, "runtime");
  req.mutable_status_request();
  auto reply = client_->Call(std::move(req), timeout_ms);
  if (!reply.ok()) return reply.status();
  if (!reply->has_status_reply())
    return kaizen::Status::Internal("the runtime answered a status request with something else");
  return reply->status_reply();
}

}  // namespace kaizen::bench
