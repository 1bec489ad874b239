#include "bench/bus_load.h"

#include <unistd.h>

#include <cstdlib>
#include <stdexcept>

#include "bench/connect.h"

namespace kaizen::bench {

BusTransport::BusTransport(zmq::context_t& ctx, const std::string& endpoint, const std::string& identity,
                           std::string run, std::vector<TaskSpec> specs)
    : client_(ConnectCliPeer(ctx, endpoint, identity)), run_(std::move(run)), specs_(std::move(specs)) {}

void BusTransport::Issue(uint64_t i) {
  const TaskSpec& spec = specs_[i % specs_.size()];
  bus::Envelope e;
  e.set_recipient("runtime");
  const std::string id = run_ + "-" + std::to_string(i);
  e.set_message_id(id);
  v1::Task* t = e.mutable_task();
  t->set_task_id(id);
  t->set_routing_key(spec.user);
  t->set_input(spec.input);
  if (!client_->Send(e).ok()) failed_.push_back(i);
}

void BusTransport::Wait(int64_t deadline_ns, const Done& done) {
  timer_.ArmAt(deadline_ns);
  zmq::pollitem_t items[2] = {{client_->control().handle(), 0, ZMQ_POLLIN, 0}, {nullptr, timer_.fd(), ZMQ_POLLIN, 0}};
  zmq::poll(items, 2, std::chrono::milliseconds(failed_.empty() ? -1 : 0));
  if (items[1].revents & ZMQ_POLLIN) timer_.Clear();
  if (items[0].revents & ZMQ_POLLIN) {
    while (auto in = client_->Receive(0)) {
      const std::string& corr = in->correlation_id();
      if (corr.size() <= run_.size() || corr.compare(0, run_.size(), run_) != 0 || corr[run_.size()] != '-') {
        ++other_;  // heartbeats, or an answer from an earlier run
        continue;
      }
      const uint64_t i = std::strtoull(corr.c_str() + run_.size() + 1, nullptr, 10);
      if (in->has_task_result()) {
        done(i, in->task_result().ok() ? 200 : 502);
      } else if (in->has_error()) {
        ++errors_;
        done(i, 500);
      } else {
        ++other_;
      }
    }
  }
  std::vector<uint64_t> failed;
  failed.swap(failed_);
  for (uint64_t i : failed) done(i, -1);
}

nlohmann::json BusTransport::Stats() const { return {{"error_replies", errors_}, {"other_messages", other_}}; }

}  // namespace kaizen::bench
