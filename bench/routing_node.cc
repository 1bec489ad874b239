#include "bench/routing_node.h"

#include <stdexcept>
#include <unordered_map>

#include "runtime/base/clock.h"
#include "runtime/bus/broker.h"
#include "runtime/core/journal.h"
#include "runtime/store/store.h"
#include "runtime/router/task_router.h"
#include "runtime/router/traffic_policy.h"

namespace kaizen::bench {
namespace {

struct Node {
  std::unique_ptr<bus::Broker> broker;
  router::TrafficPolicy traffic;
  std::unordered_map<std::string, bool> can_serve;  // as Runtime::CanServe's agent table lookup
  std::unique_ptr<router::TaskRouter> tasks;
  std::unique_ptr<store::Store> store;    // persisted: as the runtime
  std::unique_ptr<core::Journal> journal;

  void OnTask(const bus::Broker::Incoming& in) {
    v1::Task task = in.envelope.task();
    const std::string& id = in.envelope.task().task_id();
    if (store && !tasks->Knows(id)) {
      auto stored = store->GetTask(id);
      if (stored.ok() && *stored) return;  // the runtime would send the stored answer
    }
    if (task.submitted_ms() == 0) task.set_submitted_ms(WallMs());
    store::TaskRow row;
    if (store) {
      row.id = id;
      row.routing_key = task.routing_key();
      row.submitted_ms = task.submitted_ms();
      row.task = task.SerializeAsString();
    }
    auto r = tasks->Submit(in.identity, in.envelope.message_id(), std::move(task), MonoMs(), &row.index);
    if (store && r == router::TaskRouter::Submitted::kAccepted && journal->Batch().ok()) (void)store->AddTask(row);
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
    if (!store) {
      broker->Send(done->client, answer);
      return;
    }
    bus::Envelope event = bus::MakeEnvelope("runtime", "");
    *event.mutable_task_result() = *full;
    event.mutable_task_result()->set_input(done->task.input());
    (void)journal->Append("task_result", in.identity, "worker", &event);
    store::TaskRow row;
    row.id = r.task_id();
    row.worker = in.identity;
    row.attempts = done->task.attempt();
    row.answer = full->SerializeAsString();
    row.model_version = r.model_version();
    row.answered_ms = event.timestamp_ms();
    (void)store->AnswerTask(row);
    journal->AfterCommit([this, client = std::move(done->client), answer = std::move(answer)] {
      broker->Send(client, answer);
    });
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
      if (journal) (void)journal->Flush();
    }
  }
};

}  // namespace

std::unique_ptr<Background> StartRoutingNode(zmq::context_t& ctx, const std::string& endpoint,
                                             const RoutingSplit& split, const std::string& db_path) {
  bus::Broker::Options o;
  o.control_endpoint = endpoint;
  o.events_endpoint = endpoint + "-events";
  auto bound = bus::Broker::Bind(ctx, o);
  if (!bound.ok()) throw std::runtime_error(bound.status().ToString());
  auto node = std::make_shared<Node>();
  node->broker = std::move(bound.value());
  if (!db_path.empty()) {
    auto opened = store::Store::Open(db_path);
    if (!opened.ok()) throw std::runtime_error(opened.status().ToString());
    node->store = std::move(opened.value());
    node->journal = std::make_unique<core::Journal>(*node->store, *node->broker);
  }
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
