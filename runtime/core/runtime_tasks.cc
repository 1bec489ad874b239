// Runtime: tasks. Clients submit tasks to the runtime; the router hands each
// to a worker instance by the traffic policy, and the first answer goes back
// to the client and into the journal. Feedback is joined to the answer it
// rates, so monitoring and deployment see version and arm without a lookup.
//
// Exactly once across a runtime crash: an accepted task is stored (tasks
// table) and its answer too (results table), both in the journal's batch
// transaction; the answer is sent to the client only after that commit. After
// a restart the pending tasks are queued again (RestoreTasks) and go out once
// workers register; a task id submitted again gets the stored answer, or the
// pending task's answer when it comes, never a second run of its own.
// Answered tasks are kept for the newest runtime.router.keep_answered_tasks arrivals.
#include <algorithm>

#include <spdlog/spdlog.h>

#include "runtime/base/clock.h"
#include "runtime/base/ids.h"
#include "runtime/core/runtime.h"

namespace kaizen::core {
namespace {
// Answers kept to join feedback to (feedback on older tasks is stored without the join).
constexpr size_t kRecentAnswers = 200000;
// Answered tasks are kept in the store (runtime.router.keep_answered_tasks,
// by arrival index) to answer a resubmission from; pruned every eighth of
// that, at most every kPruneEvery answers. Pending tasks are never pruned.
constexpr uint64_t kPruneEvery = 8192;

// Tags only a worker sets, about its answer (a deferral to the teacher:
// agents/worker/worker_agent.h). A task's own value for them is dropped, so a
// client cannot make an answer look like the teacher's: datagen would take it
// as a label, and monitoring would rate it as a deferral.
bool WorkerOnlyTag(const std::string& key) {
  return key == "deferred" || key == "deferred_cost" || key == "worker_answer" || key == "worker_confidence";
}
}  // namespace

void Runtime::RestoreTasks() {
  router_->ContinueAfter(store_->LastTaskIndex());
  UpdateRetainedSince();
  auto pending = store_->PendingTasks();
  if (!pending.ok()) {
    spdlog::error("cannot read the tasks pending before the restart: {}", pending.status().ToString());
    return;
  }
  size_t restored = 0;
  for (const auto& row : *pending) {
    v1::Task task;
    if (!task.ParseFromString(row.task)) {
      spdlog::error("task {} in the store is not a Task; it is left pending and not run", row.id);
      continue;
    }
    router_->Restore(std::move(task), row.index);
    ++restored;
  }
  if (restored > 0) {
    spdlog::info("{} tasks accepted before the restart were not answered; they go out once a worker serves", restored);
    RecordClusterEvent("tasks_restored", std::to_string(restored) + " tasks accepted before the restart are sent again");
  }
}

void Runtime::SendStoredAnswer(const bus::Broker::Incoming& in, const std::string& task_id) {
  auto row = store_->GetTask(task_id);
  if (!row.ok() || !*row || !(*row)->answered) {
    ReplyError(in, v1::Error::BAD_REQUEST,
               "task " + task_id + " was answered before and its answer is no longer kept; it is not run again");
    return;
  }
  bus::Envelope answer = bus::MakeEnvelope(kRuntimeId, in.identity);
  answer.set_correlation_id(in.envelope.message_id());
  if (!answer.mutable_task_result()->ParseFromString((*row)->answer)) {
    ReplyError(in, v1::Error::INTERNAL, "the stored answer to task " + task_id + " is unreadable");
    return;
  }
  broker_->Send(in.identity, answer);
}

bool Runtime::CanServe(const std::string& instance) const {
  auto it = agents_.find(instance);
  if (it == agents_.end()) return false;
  const AgentEntry& a = it->second;
  if (!a.connected || a.model_version.empty() || a.role != "worker") return false;
  return a.state == v1::AGENT_STATE_IDLE || a.state == v1::AGENT_STATE_BUSY;
}

std::vector<std::string> Runtime::ReplicasOf(const std::string& arm) const {
  if (arm == worker_id_) return worker_replicas_;
  if (arm == clone_id_) return clone_replicas_;
  return {arm};
}

const std::string& Runtime::ArmOf(const std::string& instance) const {
  for (const auto* arm : {&worker_replicas_, &clone_replicas_}) {
    if (std::find(arm->begin(), arm->end(), instance) != arm->end()) return arm->front();
  }
  return instance;
}

bool Runtime::ArmCanServe(const std::string& arm) const {
  const auto& replicas = ReplicasOf(arm);
  return std::any_of(replicas.begin(), replicas.end(), [this](const std::string& id) { return CanServe(id); });
}

void Runtime::WorkerLost(const std::string& instance, const std::string& detail) {
  InstanceGone(instance);
  if (stopping_) return;
  // One replica of several is absorbed: its tasks went to the others and
  // the supervisor restarts it. The arm is lost when none is left serving
  // (a candidate that crashes on its traffic crashes every replica).
  const std::string& arm = ArmOf(instance);
  if (ArmCanServe(arm)) {
    RecordClusterEvent("replica_lost", instance + " " + detail + "; the other replicas of " + arm + " serve", instance);
    return;
  }
  controller_->OnWorkerLost(arm, detail);
}

void Runtime::InstanceGone(const std::string& instance) {
  SettleRepliesOf(instance, "it left");
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
  const std::string& id = in.envelope.task().task_id();
  if (!router_->Knows(id)) {
    // Answered before a restart (the router's memory starts empty)?
    auto stored = store_->GetTask(id);
    if (stored.ok() && *stored && (*stored)->answered) {
      router_->CountResubmission();
      SendStoredAnswer(in, id);
      return;
    }
  }
  if (task.submitted_ms() == 0) task.set_submitted_ms(WallMs());
  store::TaskRow row;
  row.id = id;
  row.routing_key = task.routing_key();
  row.submitted_ms = task.submitted_ms();
  row.task = task.SerializeAsString();
  switch (router_->Submit(in.identity, in.envelope.message_id(), std::move(task), MonoMs(), &row.index)) {
    case router::TaskRouter::Submitted::kAccepted:
      // Durable with this turn's commit, before any answer to it can be.
      if (Status s = journal_->Batch().ok() ? store_->AddTask(row) : Status::IOError("no transaction"); !s.ok()) {
        // It still runs and is answered; only a crash before its answer would lose it.
        spdlog::error("task {} is not stored: {}", id, s.ToString());
      }
      break;
    case router::TaskRouter::Submitted::kPending:
      break;  // its answer will come to this submitter
    case router::TaskRouter::Submitted::kAnswered: {
      // It may have been answered in this very batch: reply after the commit.
      bus::Broker::Incoming copy = in;
      journal_->AfterCommit([this, copy = std::move(copy)] { SendStoredAnswer(copy, copy.envelope.task().task_id()); });
      break;
    }
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
  // The task's tags, and the worker's own (e.g. `deferred`) for keys the task did not set.
  for (const auto& [k, v] : done->task.tags()) {
    if (!WorkerOnlyTag(k)) (*full->mutable_tags())[k] = v;
  }
  full->set_routing_key(done->task.routing_key());
  full->set_attempt(done->task.attempt());
  full->set_task_index(done->index);
  full->set_arm(!traffic_.split() ? "serving" : (ArmOf(in.identity) == traffic_.candidate() ? "candidate" : "incumbent"));
  if (controller_->running()) event.set_cycle_id(controller_->cycle()->id);
  (void)journal_->Append("task_result", in.identity, "worker", &event);
  CountAnswer(*full, done->task);

  // Remember what feedback will need; bounded.
  RecentAnswer& ra = recent_answers_[r.task_id()];
  ra.worker = in.identity;
  ra.model_version = r.model_version();
  ra.output = r.output();
  ra.tags = full->tags();
  recent_order_.push_back(r.task_id());
  // Not beyond what the store keeps: feedback on a pruned task is refused, not joined from memory.
  while (recent_order_.size() > std::min<uint64_t>(kRecentAnswers, manifest_.runtime.keep_answered_tasks)) {
    recent_answers_.erase(recent_order_.front());
    recent_order_.pop_front();
  }

  bus::Envelope answer = bus::MakeEnvelope(kRuntimeId, done->client);
  answer.set_correlation_id(done->request_id);
  *answer.mutable_task_result() = *full;
  answer.mutable_task_result()->clear_input();
  store::TaskRow row;
  row.id = r.task_id();
  row.worker = in.identity;
  row.attempts = done->task.attempt();
  row.answer = answer.task_result().SerializeAsString();
  row.model_version = r.model_version();
  row.confidence = r.confidence();
  row.latency_ms = static_cast<double>(r.latency_us()) / 1000.0;
  row.answered_ms = event.timestamp_ms();
  if (Status s = store_->AnswerTask(row); !s.ok()) spdlog::error("the answer to task {} is not stored: {}", r.task_id(), s.ToString());
  const auto keep = static_cast<uint64_t>(manifest_.runtime.keep_answered_tasks);
  if (done->index % std::min(kPruneEvery, std::max<uint64_t>(1, keep / 8)) == 0 && done->index > keep) {
    auto pruned = store_->PruneAnsweredTasks(done->index - keep);
    if (!pruned.ok()) spdlog::warn("cannot prune old answered tasks: {}", pruned.status().ToString());
    UpdateRetainedSince();
    if (retained_since_ms_ > 0) {
      auto keys = store_->PruneFeedbackKeys(retained_since_ms_);
      if (!keys.ok()) spdlog::warn("cannot prune old feedback keys: {}", keys.status().ToString());
    }
  }
  if (done->client.empty()) return;  // restored after a restart: kept for the client's resubmission
  // Sent once it is committed: a client never holds an answer a crash could take back.
  journal_->AfterCommit([this, client = std::move(done->client), answer = std::move(answer), id = r.task_id()] {
    if (!broker_->Send(client, answer)) {
      spdlog::warn("client {} is gone; the answer to task {} is stored for its resubmission", client, id);
    }
  });
}

void Runtime::OnFeedback(const bus::Broker::Incoming& in) {
  bus::Envelope event = bus::MakeEnvelope(kRuntimeId, "");
  v1::Feedback* f = event.mutable_feedback();
  *f = in.envelope.feedback();
  if (f->source().empty()) f->set_source(in.identity);
  const bool ack = f->want_ack();
  f->clear_want_ack();
  auto it = recent_answers_.find(f->task_id());
  if (it != recent_answers_.end()) {
    f->set_worker_id(it->second.worker);
    f->set_model_version(it->second.model_version);
    f->set_output(it->second.output);
    *f->mutable_tags() = it->second.tags;
  } else if (ack) {
    // A sender that waits for the verdict is told about an unknown or
    // forgotten task instead of having its feedback stored unjoined.
    auto row = store_->GetTask(f->task_id());
    if (!row.ok()) {
      ReplyError(in, v1::Error::INTERNAL, "cannot read task " + f->task_id() + ": " + row.status().message());
      return;
    }
    v1::TaskResult answer;
    if (!*row) {
      const auto issued = TaskIdIssuedMs(f->task_id());
      if (issued && retained_since_ms_ > 0 && *issued < retained_since_ms_) {
        ReplyError(in, v1::Error::GONE,
                   "task " + f->task_id() + " is older than the tasks kept (the oldest kept was submitted at " +
                       FormatIsoMs(retained_since_ms_) + "); feedback on it is not taken");
      } else {
        ReplyError(in, v1::Error::NOT_FOUND, "no task " + f->task_id());
      }
      return;
    }
    if (!(*row)->answered || !answer.ParseFromString((*row)->answer)) {
      ReplyError(in, v1::Error::NOT_FOUND, "task " + f->task_id() + " has no answer yet; rate it once it is answered");
      return;
    }
    f->set_worker_id(answer.worker_id());
    f->set_model_version(answer.model_version());
    f->set_output(answer.output());
    *f->mutable_tags() = answer.tags();
  }
  if (!f->feedback_id().empty()) {
    // Durable in this turn's transaction together with the event.
    Status opened = journal_->Batch();
    auto fresh = opened.ok() ? store_->AddFeedbackKey(f->feedback_id(), f->task_id(), WallMs())
                             : Result<bool>(opened);
    if (!fresh.ok()) {
      if (ack) ReplyError(in, v1::Error::INTERNAL, "feedback not stored: " + fresh.status().message());
      spdlog::error("feedback {} on task {} not stored: {}", f->feedback_id(), f->task_id(), fresh.status().ToString());
      return;
    }
    if (!*fresh) {  // a retry of feedback already journaled
      if (ack) SendAckAfterCommit(in, "feedback " + f->feedback_id() + " was recorded before");
      return;
    }
  }
  if (controller_->running()) event.set_cycle_id(controller_->cycle()->id);
  if (Status s = journal_->Append("feedback", f->worker_id(), "", &event); !s.ok()) {
    if (ack) ReplyError(in, v1::Error::INTERNAL, "feedback not journaled: " + s.message());
    return;
  }
  CountFeedback(*f);
  if (ack) SendAckAfterCommit(in, "recorded");
}

void Runtime::SendAckAfterCommit(const bus::Broker::Incoming& in, const std::string& detail) {
  bus::Envelope reply = bus::MakeReply(in.envelope, kRuntimeId);
  reply.mutable_ack()->set_detail(detail);
  journal_->AfterCommit([this, identity = in.identity, reply = std::move(reply)] { broker_->Send(identity, reply); });
}

void Runtime::UpdateRetainedSince() {
  auto first = store_->FirstTask();
  if (!first.ok()) {
    spdlog::warn("cannot read the oldest task kept: {}", first.status().ToString());
    return;
  }
  // Index 1 still there: nothing was ever pruned, so no task is "too old".
  retained_since_ms_ = (*first && (*first)->index > 1) ? (*first)->submitted_ms : 0;
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
          {"resubmitted", c.duplicate_submissions},
          {"restored", c.restored},
          {"serving", controller_->serving().version}};
}

}  // namespace kaizen::core
