#include "bench/task_worker.h"

#include <stdexcept>

#include "runtime/bus/broker.h"
#include "bench/connect.h"
#include "runtime/bus/bus_client.h"

namespace kaizen::bench {
namespace {

bus::Envelope Answer(const bus::Envelope& request, const std::string& worker_id) {
  bus::Envelope reply;
  reply.set_recipient(request.sender());
  reply.set_correlation_id(request.message_id());
  *reply.mutable_task_result() = ServeTask(request.task(), worker_id);
  return reply;
}

class TaskPinger : public Pinger {
 public:
  TaskPinger(zmq::context_t& ctx, const std::string& endpoint, std::string recipient, int users)
      : client_(ConnectClient(ctx, endpoint, "client")), recipient_(std::move(recipient)), users_(users) {}
  bool Send() override {
    bus::Envelope e;
    e.set_recipient(recipient_);
    v1::Task* t = e.mutable_task();
    t->set_task_id("t" + std::to_string(next_));
    t->set_routing_key("user-" + std::to_string(next_ % static_cast<uint64_t>(users_)));
    t->set_input(std::string(100, 'x'));
    ++next_;
    return client_->Send(e).ok();
  }
  int Receive(int timeout_ms) override {
    int n = 0;
    for (int wait = timeout_ms; auto in = client_->Receive(wait); wait = 0) n += in->has_task_result() ? 1 : 0;
    return n;
  }

 private:
  std::unique_ptr<bus::BusClient> client_;
  std::string recipient_;
  int users_;
  uint64_t next_ = 0;
};

}  // namespace

v1::TaskResult ServeTask(const v1::Task& task, const std::string& worker_id) {
  v1::TaskResult r;
  r.set_task_id(task.task_id());
  r.set_output("balance");
  r.set_confidence(0.9);
  r.set_model_version("v1");
  r.set_worker_id(worker_id);
  r.set_ok(true);
  return r;
}

std::unique_ptr<Background> StartBusWorker(zmq::context_t& ctx, const std::string& endpoint, const std::string& id) {
  std::shared_ptr<bus::BusClient> client = ConnectClient(ctx, endpoint, id);
  return std::make_unique<Background>(id, [client, id](const std::atomic<bool>& stop) {
    while (!stop.load(std::memory_order_relaxed)) {
      for (int wait = 50; auto in = client->Receive(wait); wait = 0) {
        if (!in->has_task()) continue;
        bus::Envelope reply = Answer(*in, id);
        (void)client->Send(reply);
      }
    }
  });
}

std::unique_ptr<Background> StartDirectWorker(zmq::context_t& ctx, const std::string& endpoint) {
  bus::Broker::Options o;
  o.control_endpoint = endpoint;
  o.events_endpoint = endpoint + "-events";
  auto bound = bus::Broker::Bind(ctx, o);
  if (!bound.ok()) throw std::runtime_error(bound.status().ToString());
  std::shared_ptr<bus::Broker> broker = std::move(bound.value());
  return std::make_unique<Background>("direct-worker", [broker](const std::atomic<bool>& stop) {
    while (!stop.load(std::memory_order_relaxed)) {
      zmq::pollitem_t item{broker->control().handle(), 0, ZMQ_POLLIN, 0};
      if (zmq::poll(&item, 1, std::chrono::milliseconds(50)) <= 0) continue;
      for (int i = 0; i < 2000; ++i) {
        bool read = false;
        auto in = broker->Receive(&read);
        if (!read) break;
        if (!in || !in->envelope.has_task()) continue;
        bus::Envelope reply = Answer(in->envelope, "worker");
        reply.set_sender("worker");
        broker->Send(in->identity, reply);
      }
    }
  });
}

std::unique_ptr<Pinger> MakeTaskPinger(zmq::context_t& ctx, const std::string& endpoint, const std::string& recipient,
                                       int users) {
  return std::make_unique<TaskPinger>(ctx, endpoint, recipient, users);
}

}  // namespace kaizen::bench
