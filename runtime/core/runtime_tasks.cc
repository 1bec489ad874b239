// Runtime: tasks. Clients submit tasks to the runtime; the router hands each
// to a worker instance by the traffic policy, and the first answer goes back
// to the client and into the journal. Feedback is joined to the answer it
// rates, so monitoring and deployment see version and arm without a lookup.
#include <spdlog/spdlog.h>

#include "runtime/base/clock.h"
#include "runtime/core/runtime.h"

namespace kaizen::core {
namespace {
// Answers kept to join feedback to (feedback on older tasks is stored without the join).
constexpr size_t kRecentAnswers = 200000;
}  // namespace

bool Runtime::CanServe(const std::string& instance) const {
  auto it = agents_.find(instance);
  if (it == agents_.end()) return false;
  const AgentEntry& a = it->second;
  if (!a.connected || a.model_version.empty() || a.role != "worker") return false;
  return a.state == v1::AGENT_STATE_IDLE || a.state == v1::AGENT_STATE_BUSY;
}

void Runtime::InstanceGone(const std::string& instance) {
  size_t n = router_->InFlightOn(instance);
  if (n > 0) spdlog::warn("{} left with {} tasks in flight; sending them to another instance", instance, n);
  router_->Requeue(instance, MonoMs());
}

void Runtime::OnTask(const bus::Broker::Incoming& in) {
  v1::Task task = in.envelope.task();
  if (task.task_id().empty()) {
    ReplyError(in, v1::Error::BAD_REQUEST, "a task needs a task_id");
    return;
  }
  if (stopping_) {
    ReplyError(in, v1::Error::SHUTTING_DOWN, "the cluster is stopping; task " + task.task_id() + " not taken");
    return;
  }
  if (task.submitted_ms() == 0) task.set_submitted_ms(WallMs());
  if (!router_->Submit(in.identity, in.envelope.message_id(), std::move(task), MonoMs())) {
    ReplyError(in, v1::Error::BAD_REQUEST, "task " + in.envelope.task().task_id() + " was submitted before; it is answered once");
  }
}

void Runtime::OnTaskResult(const bus::Broker::Incoming& in) {
  const v1::TaskResult& r = in.envelope.task_result();
  auto agent = agents_.find(in.identity);
  if (agent == agents_.end() || agent->second.role != "worker") {
    broker_->Drop(bus::DropReason::kUnexpected, in.identity, "a task result from a peer that is not a worker");
    ReplyError(in, v1::Error::FORBIDDEN, "only workers answer tasks");
    return;
  }
  auto done = router_->OnAnswer(r.task_id(), in.identity);
  if (!done) {
    spdlog::debug("dropped a second answer for task {} from {}", r.task_id(), in.identity);
    return;
  }
  bus::Envelope event = bus::MakeEnvelope(kRuntimeId, "");
  v1::TaskResult* full = event.mutable_task_result();
  *full = r;
  full->set_worker_id(in.identity);
  full->set_input(done->task.input());
  *full->mutable_tags() = done->task.tags();
  full->set_routing_key(done->task.routing_key());
  full->set_attempt(done->task.attempt());
  full->set_task_index(done->index);
  if (cycle_ && !cycle_->finished()) event.set_cycle_id(cycle_->id);
  (void)journal_->Record("task_result", in.identity, "worker", &event);

  // Remember what feedback will need; bounded.
  RecentAnswer& ra = recent_answers_[r.task_id()];
  ra.worker = in.identity;
  ra.model_version = r.model_version();
  ra.output = r.output();
  ra.tags = done->task.tags();
  recent_order_.push_back(r.task_id());
  while (recent_order_.size() > kRecentAnswers) {
    recent_answers_.erase(recent_order_.front());
    recent_order_.pop_front();
  }

  bus::Envelope answer = bus::MakeEnvelope(kRuntimeId, done->client);
  answer.set_correlation_id(done->request_id);
  *answer.mutable_task_result() = *full;
  answer.mutable_task_result()->clear_input();
  if (!broker_->Send(done->client, answer)) {
    spdlog::warn("client {} is gone; the answer to task {} is in the journal", done->client, r.task_id());
  }
}

void Runtime::OnFeedback(const bus::Broker::Incoming& in) {
  bus::Envelope event = bus::MakeEnvelope(kRuntimeId, "");
  v1::Feedback* f = event.mutable_feedback();
  *f = in.envelope.feedback();
  if (f->source().empty()) f->set_source(in.identity);
  auto it = recent_answers_.find(f->task_id());
  if (it != recent_answers_.end()) {
    f->set_worker_id(it->second.worker);
    f->set_model_version(it->second.model_version);
    f->set_output(it->second.output);
    *f->mutable_tags() = it->second.tags;
  }
  if (cycle_ && !cycle_->finished()) event.set_cycle_id(cycle_->id);
  (void)journal_->Record("feedback", f->worker_id(), "", &event);
}

nlohmann::json Runtime::RouterJson() const {
  const auto& c = router_->counters();
  return {{"traffic", traffic_.Describe()},
          {"candidate_weight", traffic_.candidate_weight()},
          {"submitted", c.submitted},
          {"answered", c.answered},
          {"in_flight", router_->in_flight() - router_->queued()},
          {"queued", router_->queued()},
          {"resent", c.resent},
          {"duplicate_answers_dropped", c.duplicate_answers},
          {"duplicate_submissions_refused", c.duplicate_submissions},
          {"serving", serving_.version}};
}

}  // namespace kaizen::core
