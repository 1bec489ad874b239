#include "bench/routing_node.h"

#include <stdexcept>
#include <unordered_map>

#include "runtime/base/clock.h"
#include "runtime/bus/broker.h"
#include "runtime/router/task_router.h"
#include "runtime/router/traffic_policy.h"

namespace kaizen::bench {
namespace {

struct Node {
  std::unique_ptr<bus::Broker> broker;
  router::TrafficPolicy traffic;
  std::unordered_map<std::string, bool> can_serve;  // as Runtime::CanServe's agent table lookup
  std::unique_ptr<router::TaskRouter> tasks;

  void OnTask(const bus::Broker::Incoming& in) {
    v1::Task task = in.envelope.task();
    if (task.submitted_ms() == 0) task.set_submitted_ms(WallMs());
    tasks->Submit(in.identity, in.envelope.message_id(), std::move(task), MonoMs());
  }

  void OnTaskResult(const bus::Broker::Incoming& in) {
    const v1::TaskResult& r = in.envelope.task_result();
    auto done = tasks->OnAnswer(r.task_id(), in.identity);
    if (!done) return;
    bus::Envelope answer = bus::MakeEnvelope("runtime", done->client);
    answer.set_correlation_id(done->request_id);
    v1::TaskResult* full = answer.mutable_task_result();
    *full = r;
    full->set_worker_id(in.identity);
    full->set_routing_key(done->task.routing_key());
    full->set_attempt(done->task.attempt());
    full->set_task_index(done->index);
    broker->Send(done->client, answer);
  }

  void Loop(const std::atomic<bool>& stop) {
    while (!stop.load(std::memory_order_relaxed)) {
      zmq::pollitem_t item{broker->control().handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, std::chrono::milliseconds(50));
      for (int i = 0; i < 2000 && (item.revents & ZMQ_POLLIN); ++i) {
        bool read = false;
        auto in = broker->Receive(&read);
        if (!read) break;
        if (!in) continue;
        if (in->envelope.has_task()) OnTask(*in);
        if (in->envelope.has_task_result()) OnTaskResult(*in);
      }
      tasks->Tick(MonoMs());
    }
  }
};

}  // namespace

std::unique_ptr<Background> StartRoutingNode(zmq::context_t& ctx, const std::string& endpoint,
                                             const RoutingSplit& split) {
  bus::Broker::Options o;
  o.control_endpoint = endpoint;
  o.events_endpoint = endpoint + "-events";
  auto bound = bus::Broker::Bind(ctx, o);
  if (!bound.ok()) throw std::runtime_error(bound.status().ToString());
  auto node = std::make_shared<Node>();
  node->broker = std::move(bound.value());
  node->traffic.SetSplit(split.incumbent, split.candidate, split.candidate_weight);
  node->can_serve = {{split.incumbent, true}, {split.candidate, true}};
  Node* n = node.get();
  node->tasks = std::make_unique<router::TaskRouter>(
      router::TaskRouter::Options{},
      [n](const v1::Task& task) {
        return n->traffic.Pick(task.routing_key(), [n](const std::string& instance) {
          auto it = n->can_serve.find(instance);
          return it != n->can_serve.end() && it->second;
        });
      },
      [n](const std::string& instance, const v1::Task& task) {
        bus::Envelope e = bus::MakeEnvelope("runtime", instance);
        e.set_correlation_id(task.task_id());
        *e.mutable_task() = task;
        return n->broker->Send(instance, e);
      });
  return std::make_unique<Background>("routing-node", [node](const std::atomic<bool>& stop) { node->Loop(stop); });
}

}  // namespace kaizen::bench
