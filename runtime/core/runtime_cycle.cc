// Runtime: the model registry, and the host of the cycle controller
// (runtime/controller/cycle_controller.h), which owns the improvement cycle.
// This file gives the controller what it needs (CycleHostImpl: the registry,
// one transaction per decision, agents, commands, traffic, the clone) and
// hands it what the bus brings (triggers, stage answers, approvals, splits).
//
// Clone management: on a trigger a clone of the worker starts with the serving
// version and takes the traffic once it serves; the worker reports
// `improving`. At rollout the worker loads the candidate and traffic is split
// between the clone (incumbent) and the worker (candidate) as deployment
// says. Promotion keeps the worker and drains the clone; rollback and abort
// bring the worker back to the incumbent, then drain the clone.
#include <algorithm>
#include <memory>
#include <csignal>

#include <spdlog/spdlog.h>

#include "config/manifest_schema.h"
#include "config/role_view.h"
#include "runtime/base/atomic_file.h"
#include "runtime/base/clock.h"
#include "runtime/base/ids.h"
#include "runtime/base/sha256.h"
#include "runtime/core/runtime.h"

namespace kaizen::core {
namespace {

using json = nlohmann::json;
// How long a draining clone may take to finish its tasks before it is stopped anyway.
constexpr int64_t kCloneDrainMs = 5000;

// Protobuf's JSON writes int64 as a string.
int64_t IntField(const json& j, const char* key) {
  if (!j.contains(key)) return 0;
  const json& v = j[key];
  if (v.is_number()) return v.get<int64_t>();
  if (v.is_string()) return std::strtoll(v.get<std::string>().c_str(), nullptr, 10);
  return 0;
}

}  // namespace

// ---- the controller's host ---------------------------------------------------

class Runtime::CycleHostImpl final : public controller::CycleHost {
 public:
  explicit CycleHostImpl(Runtime& rt) : rt_(rt) {}

  int64_t NowMs() const override { return WallMs(); }
  Result<std::optional<store::ModelRow>> Model(const std::string& version) const override {
    return rt_.store_->GetModel(version);
  }
  Result<std::string> NextModelVersion() const override { return rt_.NextModelVersion(); }
  std::string NextCycleId() const override {
    auto cycles = rt_.store_->ListCycles();
    return "c" + std::to_string((cycles.ok() ? cycles->size() : 0) + 1);
  }
  std::string DatasetThatMade(const std::string& version) const override { return rt_.DatasetThatMade(version); }
  Status Commit(const controller::Decision& d) override { return rt_.CommitDecision(d); }
  void JournalEvent(controller::Event e) override {
    if (Status s = rt_.journal_->Append(e.kind, e.agent, e.role, &e.envelope); !s.ok()) {
      spdlog::warn("{} event not journaled: {}", e.kind, s.ToString());
    }
  }
  void ClusterEvent(const std::string& what, const std::string& detail, const std::string& agent) override {
    rt_.RecordClusterEvent(what, detail, agent);
  }
  void Entered(const cycle::CycleRecord& c, v1::CycleStage from, v1::CycleStage to,
               const std::string& reason) override {
    rt_.CountTransition(c, to);
    spdlog::info("cycle {}: {} -> {}: {}", c.id, cycle::StageName(from), cycle::StageName(to), reason);
    if (cycle::IsTerminal(to)) {
      if (const std::string llm = cycle::LlmUsageLine(c.llm_usage); !llm.empty()) spdlog::info("cycle {}: {}", c.id, llm);
    }
  }
  void DecisionFailed(const std::string& what, const std::string& why) override {
    rt_.metrics_.Add("kaizen_cycle_decisions_failed_total", {{"decision", what}});
    spdlog::error("{}", why);
    rt_.RecordClusterEvent("decision_failed", why);
  }
  // A worker arm with replicas is seen as one agent: connected and able to
  // serve when any replica is; its epoch is the arm's (Runtime::arm_epoch_);
  // its version is the one every connected replica reports, "" while they differ.
  controller::AgentView Agent(const std::string& id) const override {
    controller::AgentView v;
    bool first = true;
    auto arm = rt_.arm_epoch_.find(id);
    for (const std::string& replica : rt_.ReplicasOf(id)) {
      auto it = rt_.agents_.find(replica);
      if (it == rt_.agents_.end()) continue;
      const AgentEntry& a = it->second;
      v.epoch = arm != rt_.arm_epoch_.end() ? arm->second : a.epoch;
      v.can_serve = v.can_serve || rt_.CanServe(replica);
      if (!a.connected) continue;
      v.connected = true;
      if (first) v.model_version = a.model_version;
      if (!first && a.model_version != v.model_version) v.model_version.clear();
      first = false;
    }
    return v;
  }
  std::string ConnectedAgentOf(const std::string& role) const override {
    for (const auto& id : rt_.agent_order_) {
      const AgentEntry& a = rt_.agents_.at(id);
      if (a.role == role && a.connected) return id;
    }
    return "";
  }
  bool Send(const std::string& to, const bus::Envelope& e) override { return rt_.broker_->Send(to, e); }
  // To an arm: every connected replica gets it (one that is down loads its
  // assignment when it comes back); the reply is the first Error, or an Ack
  // once every replica has acked or gone away (a replica that exits or is
  // lost before answering loads its assignment when it comes back, like one
  // that was down).
  void Command(const std::string& to, v1::Command::Kind kind, const std::string& argument, const std::string& reason,
               controller::ReplyHandler on_reply) override {
    std::vector<std::string> targets;
    for (const std::string& replica : rt_.ReplicasOf(to)) {
      auto it = rt_.agents_.find(replica);
      if (it != rt_.agents_.end() && it->second.connected) targets.push_back(replica);
    }
    if (targets.size() <= 1) {
      rt_.SendCommand(targets.empty() ? to : targets.front(), kind, argument, reason, std::move(on_reply));
      return;
    }
    struct Gathered {
      size_t waiting = 0;
      bool answered = false;
      controller::ReplyHandler on_reply;
    };
    auto gathered = std::make_shared<Gathered>();
    gathered->waiting = targets.size();
    gathered->on_reply = std::move(on_reply);
    for (const std::string& replica : targets) {
      controller::ReplyHandler each;
      if (gathered->on_reply) {
        each = [gathered](const bus::Envelope& reply) {
          if (gathered->answered) return;
          --gathered->waiting;
          const bool gone = reply.has_error() && reply.error().code() == v1::Error::UNAVAILABLE;
          if (reply.has_error() && !gone) {
            gathered->answered = true;
            gathered->on_reply(reply);
          } else if (gathered->waiting == 0) {
            gathered->answered = true;
            if (!gone) {
              gathered->on_reply(reply);
              return;
            }
            bus::Envelope ack;
            ack.mutable_ack()->set_detail("done by the replicas that stayed");
            gathered->on_reply(ack);
          }
        };
      }
      rt_.SendCommand(replica, kind, argument, reason, std::move(each), /*settle_if_gone=*/true);
    }
  }
  void Assign(const std::string& instance, const cycle::ModelRef& model) override {
    for (const std::string& replica : rt_.ReplicasOf(instance)) rt_.assigned_[replica] = model;
  }
  router::TrafficPolicy& Traffic() override { return rt_.traffic_; }
  void StartClone(const cycle::ModelRef& model) override { rt_.StartClone(model); }
  void DrainClone() override { rt_.DrainClone(); }
  bool CloneRunning() const override { return rt_.CloneProcessesRunning() && !rt_.clone_draining_; }

 private:
  Runtime& rt_;
};

void Runtime::StartCycleController() {
  cycle_host_ = std::make_unique<CycleHostImpl>(*this);
  controller_ = std::make_unique<controller::CycleController>(
      *cycle_host_, controller::CycleSettings::FromSpec(manifest_.spec, worker_id_));
}

// ---- registry ------------------------------------------------------------------

void Runtime::LoadRegistry() {
  cycle::ModelRef serving;
  auto models = store_->ListModels();
  if (!models.ok()) spdlog::error("cannot read the model registry: {}", models.status().ToString());
  if (models.ok()) {
    for (const auto& m : *models) {
      if (m.status == store::ModelStatus::kServing) serving = {m.version, m.uri, m.sha256};
    }
  }
  if (!serving.empty()) {
    for (const std::string& id : worker_replicas_) assigned_[id] = serving;
  }
  // A cycle left running by an earlier runtime (killed, or the machine went
  // down) is picked up where it stood by the controller's first reconcile.
  std::vector<cycle::CycleRecord> records;
  auto cycles = store_->ListCycles();
  if (!cycles.ok()) spdlog::error("cannot read the cycles: {}", cycles.status().ToString());
  if (cycles.ok()) {
    for (const auto& row : *cycles) {
      auto rec = cycle::CycleRecord::FromJson(json::parse(row.state_json, nullptr, false));
      if (!rec.ok()) {
        spdlog::error("cycle {} in the store does not load: {}", row.id, rec.status().ToString());
        continue;
      }
      records.push_back(std::move(*rec));
    }
  }
  controller_->Load(serving, std::move(records));
  LoadAnchor();
}

void Runtime::LoadAnchor() {
  cycle::ModelRef anchor;
  auto last = store_->LastAuditOfKind("anchor");
  if (!last.ok()) {
    spdlog::error("cannot read the drift anchor from the audit trail: {}", last.status().ToString());
  } else if (*last && (*last)->body.contains("anchor") && (*last)->body["anchor"].is_object()) {
    anchor = cycle::ModelRef::FromJson((*last)->body["anchor"]);
  }
  if (anchor.empty()) {
    auto first = store_->GetModel("v1");
    if (!first.ok()) spdlog::error("cannot read the first model: {}", first.status().ToString());
    if (first.ok() && *first) anchor = {(*first)->version, (*first)->uri, (*first)->sha256};
  }
  controller_->SetAnchor(anchor);
}

void Runtime::OnSetAnchor(const bus::Broker::Incoming& in, const v1::Command& cmd) {
  const std::string& version = cmd.argument();
  auto m = store_->GetModel(version);
  if (!m.ok()) {
    ReplyError(in, v1::Error::INTERNAL, "cannot read the registry: " + m.status().message());
    return;
  }
  if (!*m) {
    ReplyError(in, v1::Error::BAD_REQUEST,
               "no model version '" + version + "' in the registry (`kaizen cycles` lists the versions cycles made)");
    return;
  }
  const store::ModelRow& row = **m;
  if (row.status != store::ModelStatus::kServing && row.status != store::ModelStatus::kRetired) {
    ReplyError(in, v1::Error::BAD_REQUEST,
               version + " is " + store::ModelStatusName(row.status) +
                   ": only a version that has served (serving or retired) can be the drift anchor");
    return;
  }
  const cycle::ModelRef from = controller_->anchor();
  if (from.version == version) {
    bus::Envelope ack = bus::MakeReply(in.envelope, kRuntimeId);
    ack.mutable_ack()->set_detail("the drift anchor is already " + version + "; nothing changed");
    broker_->Send(in.identity, ack);
    return;
  }
  const std::string who = cmd.decided_by().empty() ? in.identity : cmd.decided_by() + " (" + in.identity + ")";
  controller::Decision d;
  d.what = "anchor";
  d.anchor = cycle::ModelRef{row.version, row.uri, row.sha256};
  bus::Envelope event = bus::MakeEnvelope(kRuntimeId, "");
  event.mutable_cluster_event()->set_what("anchor_moved");
  event.mutable_cluster_event()->set_detail("drift anchor " + (from.empty() ? std::string("(none)") : from.version) +
                                            " -> " + version + " by " + who + ": " + cmd.reason());
  event.mutable_cluster_event()->set_agent_id(in.identity);
  d.events.push_back({"cluster", who, "", event});
  if (Status s = CommitDecision(d); !s.ok()) {
    ReplyError(in, v1::Error::INTERNAL, "the anchor move could not be recorded, so it was not made: " + s.message());
    return;
  }
  controller_->SetAnchor(*d.anchor);
  spdlog::info("{}", event.cluster_event().detail());
  bus::Envelope ack = bus::MakeReply(in.envelope, kRuntimeId);
  ack.mutable_ack()->set_detail(event.cluster_event().detail());
  broker_->Send(in.identity, ack);
}

Result<std::string> Runtime::NextModelVersion() const {
  auto models = store_->ListModels();
  if (!models.ok()) return models.status().WithContext("reading the model registry to name the next version");
  return "v" + std::to_string(models->size() + 1);
}

std::string Runtime::WelcomeSettings(const AgentEntry& a) const {
  json s = json::parse(a.settings_json, nullptr, false);
  if (!s.is_object()) s = json::object();
  // Only the part of the spec this role may read (config/role_view.h).
  s["cluster"] = {{"name", manifest_.name},
                  {"state_dir", paths_.dir},
                  {"spec", config::SpecViewFor(a.role, manifest_.spec)}};
  if (auto it = assigned_.find(a.id); it != assigned_.end() && !it->second.empty()) s["model"] = it->second.ToJson();
  if (!a.clone_of.empty()) s["clone_of"] = a.clone_of;
  return s.dump();
}

void Runtime::OnInitialModel(const bus::Broker::Incoming& in) {
  const auto& mr = in.envelope.model_ready();
  auto agent = agents_.find(in.identity);
  if (agent == agents_.end() || agent->second.role != "worker") {
    ReplyError(in, v1::Error::FORBIDDEN, "only a worker registers an initial model");
    return;
  }
  if (!controller_->serving().empty()) {
    // Another instance (a replica) got there first: serve that one, loaded
    // from the registry, so every replica serves the same bytes.
    bus::Envelope ack = bus::MakeReply(in.envelope, kRuntimeId);
    ack.mutable_ack()->set_detail(controller_->serving().version);
    broker_->Send(in.identity, ack);
    assigned_[in.identity] = controller_->serving();
    if (mr.sha256() != controller_->serving().sha256) {
      SendCommand(in.identity, v1::Command::RELOAD_MODEL, controller_->serving().ToJson().dump(),
                  "serve the registered initial model " + controller_->serving().version);
    }
    return;
  }
  if (Status s = CheckArtifactHash("initial model", mr.uri(), mr.sha256()); !s.ok()) {
    ReplyError(in, v1::Error::BAD_REQUEST, s.message());
    return;
  }
  auto version = NextModelVersion();
  if (!version.ok()) {
    spdlog::error("initial model not registered: {}", version.status().ToString());
    ReplyError(in, v1::Error::INTERNAL, version.status().message());
    return;
  }
  store::ModelRow row;
  row.version = *version;
  row.uri = mr.uri();
  row.sha256 = mr.sha256();
  row.status = store::ModelStatus::kServing;
  row.metrics_json = mr.metrics_json().empty() ? "{}" : mr.metrics_json();
  row.created_ms = WallMs();
  controller::Decision d;
  d.what = "initial_model";
  d.models.push_back(row);
  bus::Envelope event = bus::MakeEnvelope(kRuntimeId, "");
  *event.mutable_model_ready() = mr;
  event.mutable_model_ready()->set_version(row.version);
  d.events.push_back({"model", in.identity, "worker", event});
  bus::Envelope registered = bus::MakeEnvelope(kRuntimeId, "");
  registered.mutable_cluster_event()->set_what("model_registered");
  registered.mutable_cluster_event()->set_detail("initial model " + row.version + " serving (" +
                                                  row.sha256.substr(0, 12) + ")");
  registered.mutable_cluster_event()->set_agent_id(in.identity);
  d.events.push_back({"cluster", in.identity, "", registered});
  if (Status s = CommitDecision(d); !s.ok()) {
    ReplyError(in, v1::Error::INTERNAL, "cannot register the initial model: " + s.message());
    return;
  }
  controller_->SetServing({row.version, row.uri, row.sha256});
  if (controller_->anchor().empty()) controller_->SetAnchor({row.version, row.uri, row.sha256});
  for (const std::string& id : ReplicasOf(ArmOf(in.identity))) assigned_[id] = controller_->serving();
  bus::Envelope ack = bus::MakeReply(in.envelope, kRuntimeId);
  ack.mutable_ack()->set_detail(row.version);
  broker_->Send(in.identity, ack);
}

// ---- commands to agents ----------------------------------------------------

void Runtime::SendCommand(const std::string& agent_id, v1::Command::Kind kind, const std::string& argument,
                          const std::string& reason, ReplyHandler on_reply, bool settle_if_gone) {
  bus::Envelope e = bus::MakeEnvelope(kRuntimeId, agent_id);
  e.set_message_id(NewId());
  if (controller_->running()) e.set_cycle_id(controller_->cycle()->id);
  auto* c = e.mutable_command();
  c->set_kind(kind);
  c->set_argument(argument);
  c->set_reason(reason);
  if (!broker_->Send(agent_id, e)) {
    spdlog::warn("cannot send {} to {}: not connected", v1::Command::Kind_Name(kind), agent_id);
    if (on_reply) {
      bus::Envelope err;
      err.mutable_error()->set_code(v1::Error::UNKNOWN_RECIPIENT);
      err.mutable_error()->set_message(agent_id + " is not connected");
      on_reply(err);
    }
    return;
  }
  if (on_reply) pending_replies_[e.message_id()] = {agent_id, settle_if_gone, std::move(on_reply)};
}

bool Runtime::TakeReply(const bus::Envelope& reply) {
  auto it = pending_replies_.find(reply.correlation_id());
  if (it == pending_replies_.end()) return false;
  ReplyHandler h = std::move(it->second.handler);
  pending_replies_.erase(it);
  h(reply);
  return true;
}

void Runtime::SettleRepliesOf(const std::string& agent_id, const std::string& why) {
  std::vector<ReplyHandler> settled;  // called after the map is done with: a handler may send again
  for (auto it = pending_replies_.begin(); it != pending_replies_.end();) {
    if (it->second.agent == agent_id && it->second.settle_if_gone) {
      settled.push_back(std::move(it->second.handler));
      it = pending_replies_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto& h : settled) {
    bus::Envelope err;
    err.mutable_error()->set_code(v1::Error::UNAVAILABLE);
    err.mutable_error()->set_message(agent_id + " went away before answering (" + why + ")");
    h(err);
  }
}

std::string Runtime::DatasetThatMade(const std::string& version) const {
  auto rows = store_->ListCycles();
  if (!rows.ok()) {
    spdlog::warn("cannot read the cycles to find the dataset that made {}: {}", version, rows.status().ToString());
    return "";
  }
  for (const auto& row : *rows) {
    if (row.stage != cycle::StageName(v1::CYCLE_STAGE_PROMOTED)) continue;
    auto rec = cycle::CycleRecord::FromJson(json::parse(row.state_json, nullptr, false));
    if (rec.ok() && rec->candidate.version == version) return rec->dataset.value("uri", "");
  }
  return "";
}

// ---- what the bus brings the cycle ---------------------------------------------

void Runtime::OnTrigger(const bus::Broker::Incoming& in) {
  const std::string ignored = controller_->OnTrigger(in.envelope, in.identity, stopping_);
  controller_->Reconcile();
  // `kaizen improve` waits for the answer; monitoring does not.
  if (clients_.count(in.identity) == 0) return;
  if (!ignored.empty()) {
    ReplyError(in, v1::Error::BAD_REQUEST, "no cycle started: " + ignored);
    return;
  }
  bus::Envelope ack = bus::MakeReply(in.envelope, kRuntimeId);
  ack.mutable_ack()->set_detail("cycle " + controller_->cycle()->id + " started to improve " +
                                controller_->cycle()->incumbent.version);
  broker_->Send(in.identity, ack);
}

void Runtime::OnCycleReply(const bus::Broker::Incoming& in) {
  controller_->OnStageReply(in.envelope, in.identity);
  controller_->Reconcile();
}

void Runtime::OnTrafficSplit(const bus::Broker::Incoming& in) {
  if (Status s = controller_->OnTrafficSplit(in.envelope, in.identity); !s.ok()) {
    ReplyError(in, s.code() == Status::Code::kFailedPrecondition ? v1::Error::BAD_REQUEST : v1::Error::INTERNAL,
               s.message());
  }
}

void Runtime::OnApprovalDecision(const bus::Broker::Incoming& in) {
  const auto& d = in.envelope.approval_decision();
  const auto& cycle = controller_->cycle();
  if (!cycle || cycle->stage != v1::CYCLE_STAGE_AWAITING_APPROVAL) {
    ReplyError(in, v1::Error::BAD_REQUEST,
               "nothing is waiting for an approval" +
                   (cycle ? " (cycle " + cycle->id + " is at " + cycle::StageName(cycle->stage) + ")"
                          : std::string(" (no cycle has run)")));
    return;
  }
  const bool promotion = controller_->AwaitingPromotion();
  if (d.request_id() != cycle->id) {
    ReplyError(in, v1::Error::BAD_REQUEST,
               "no approval '" + d.request_id() + "' is waiting; waiting: " + cycle->id + " (" +
                   (promotion ? "promotion" : "plan") + ")");
    return;
  }
  // Who decided: the bus identity, and the person the client names (the CLI sends $USER).
  std::string who = in.identity;
  if (!d.decided_by().empty() && d.decided_by() != in.identity) who = d.decided_by() + " (" + in.identity + ")";
  const std::string subject = promotion ? "promotion" : "plan";
  const std::string cycle_id = cycle->id;
  bus::Envelope event = in.envelope;
  event.set_recipient("");
  event.set_cycle_id(cycle_id);
  event.mutable_approval_decision()->set_decided_by(who);
  // With CURVE, the role of the key it came with, too (decided_by stays the bus identity's person).
  const std::string why = subject + (d.approved() ? " approved by " : " rejected by ") + who +
                          (in.auth_role.empty() ? "" : " [key role " + in.auth_role + "]") +
                          (d.reason().empty() ? "" : ": " + d.reason());
  if (Status s = controller_->OnApproval({"approval_decision", in.identity, "", event}, d.approved(), why); !s.ok()) {
    ReplyError(in, v1::Error::INTERNAL, s.message() + " (see the runtime log)");
    return;
  }
  bus::Envelope ack = bus::MakeReply(in.envelope, kRuntimeId);
  ack.mutable_ack()->set_detail(std::string(d.approved() ? "approved" : "rejected") + " the " + subject + " of cycle " +
                                cycle_id);
  broker_->Send(in.identity, ack);
  controller_->Reconcile();
}

// ---- the clone -------------------------------------------------------------

bool Runtime::CloneProcessesRunning() const {
  return std::any_of(clone_replicas_.begin(), clone_replicas_.end(),
                     [this](const std::string& id) { return supervisor_->Active(id); });
}

// The clone is placed like the worker (forked, or a Slurm job with the
// worker's resources), with worker.clone_replicas processes.
void Runtime::StartClone(const cycle::ModelRef& model) {
  const AgentEntry& worker = agents_.at(worker_id_);
  const config::AgentSpec* spec = nullptr;
  for (const auto& a : manifest_.agents) {
    if (a.id == worker_id_) spec = &a;
  }
  clone_draining_ = false;
  for (const std::string& id : clone_replicas_) {
    AgentEntry& c = agents_[id];
    const bool fresh = c.id.empty();
    c.id = id;
    c.role = "worker";
    c.settings_json = worker.settings_json;
    c.clone_of = worker_id_;
    c.supervised = true;
    c.placement = worker.placement == config::Placement::kExternal ? manifest_.runtime.launcher : worker.placement;
    if (fresh) agent_order_.push_back(id);
    assigned_[id] = model;
    if (supervisor_->Active(id)) continue;  // still running (or queued) from before
    Status s = StartAgentProcess(c, spec->restart);
    if (!s.ok()) {
      // The worker keeps serving; the cycle goes on without this clone process.
      spdlog::error("cannot start the clone {}: {}", id, s.ToString());
      RecordClusterEvent("clone_failed", s.message(), id);
    } else {
      RecordClusterEvent("clone_started", "clone of " + worker_id_ + " serving " + model.version, id);
    }
  }
}

void Runtime::DrainClone() {
  if (!CloneProcessesRunning() || clone_draining_) return;
  clone_draining_ = true;
  clone_drain_since_ = MonoMs();
  for (const std::string& id : clone_replicas_) assigned_.erase(id);
}

void Runtime::CycleTick(int64_t now) {
  if (clone_draining_) {
    size_t in_flight = 0;
    for (const std::string& id : clone_replicas_) in_flight += router_->InFlightOn(id);
    if (in_flight == 0 || now - clone_drain_since_ > kCloneDrainMs) {
      clone_draining_ = false;
      RecordClusterEvent("clone_stopping", "no traffic and " + std::to_string(in_flight) + " tasks in flight",
                         clone_id_);
      for (const std::string& id : clone_replicas_) supervisor_->Signal(id, SIGTERM);
    }
  }
  controller_->Reconcile();
}

// ---- summary ---------------------------------------------------------------

json Runtime::Summary() const {
  json cycles = json::array();
  for (const auto& id : controller_->cycle_ids()) {
    auto row = store_->GetCycle(id);
    if (!row.ok() || !*row) continue;
    auto rec = cycle::CycleRecord::FromJson(json::parse((*row)->state_json, nullptr, false));
    if (!rec.ok()) continue;
    const cycle::CycleRecord& c = *rec;
    json stages = json::array();
    for (const auto& s : c.stages) {
      stages.push_back({{"name", s.name},
                        {"started_ms", s.started_ms - started_ms_},
                        {"ended_ms", s.ended_ms == 0 ? json(nullptr) : json(s.ended_ms - started_ms_)}});
    }
    cycles.push_back({{"id", c.id},
                      {"outcome", c.finished() ? cycle::StageName(c.stage) : "running"},
                      {"reason", c.outcome_reason},
                      {"trigger",
                       {{"policy", c.trigger.value("policy", "")},
                        {"task_index", IntField(c.trigger, "task_index")},
                        {"reason", c.trigger.value("reason", "")}}},
                      {"stages", stages},
                      {"attempts", c.attempt},
                      {"teacher_calls", c.teacher_calls},
                      {"teacher_cost", c.teacher_cost},
                      {"llm_usage", c.llm_usage},
                      {"incumbent", c.incumbent.version},
                      {"candidate", c.candidate.version},
                      {"plan", {{"strategy", c.plan.is_object() ? c.plan.value("strategy", "") : ""}}},
                      {"evaluation",
                       {{"candidate_accuracy", c.evaluation.value("candidate_accuracy", 0.0)},
                        {"incumbent_accuracy", c.evaluation.value("incumbent_accuracy", 0.0)},
                        {"verdict", c.evaluation.value("verdict", "")},
                        // The constitution gate's one line (docs/safety.md), "" without one.
                        {"constitution", c.evaluation.value("constitution", json::object()).value("summary", "")}}},
                      {"rollout", c.decision}});
    // What the trainer reported, e.g. the prompt search's baseline and candidate validation scores.
    if (auto m = store_->GetModel(c.candidate.version); !c.candidate.version.empty() && m.ok() && *m) {
      json metrics = json::parse((*m)->metrics_json, nullptr, false);
      if (metrics.is_object()) {
        json t = {{"backend", metrics.value("backend", "")}};
        for (const char* k : {"baseline_score", "candidate_score", "best", "validation_rows", "wall_seconds", "cost",
                              "strategy", "tool", "lessons", "example_pool"}) {
          if (metrics.contains(k)) t[k] = metrics[k];
        }
        cycles.back()["training"] = t;
      }
    }
  }
  json summary = {{"cluster", manifest_.name}, {"cycles", cycles}, {"serving", controller_->serving().version}};
  if (scenario_.is_object()) {
    summary["accuracy"] = scenario_.value("accuracy", json::object());
    summary["tasks"] = scenario_.value("tasks", json::object());
    summary["timeline"] = scenario_.value("timeline", json::array());
    summary["drift_at_task"] = scenario_.value("drift_at_task", 0);
    if (scenario_.contains("http")) summary["http"] = scenario_["http"];  // simulator.via: gateway
  }
  summary["router"] = RouterJson();
  summary["wall_seconds"] = static_cast<double>(WallMs() - started_ms_) / 1000.0;
  return summary;
}

void Runtime::OnScenarioReport(const bus::Broker::Incoming& in) {
  json report = json::parse(in.envelope.scenario_report().json(), nullptr, false);
  if (!report.is_object()) {
    ReplyError(in, v1::Error::BAD_REQUEST, "scenario report is not a JSON object");
    return;
  }
  scenario_ = report;
  bus::Envelope event = in.envelope;
  event.set_recipient("");
  if (Status s = journal_->Record("scenario", in.identity, "simulator", &event); !s.ok()) {
    spdlog::error("the scenario report is not journaled: {}", s.ToString());
  }
  if (scenario_done_) return;
  scenario_done_ = true;
  json summary = Summary();
  // Atomically: tools and tests poll for the file and must never read half of it.
  if (Status w = WriteFileAtomically(paths_.dir + "/summary.json", summary.dump(2) + "\n"); !w.ok()) {
    spdlog::error("cannot write the summary: {}", w.ToString());
  }
  RecordClusterEvent("scenario_over", "summary written to " + paths_.dir + "/summary.json", in.identity);
  if (options_.on_scenario_done) {
    options_.on_scenario_done(summary);
    bool stop = true;
    if (manifest_.spec.contains("simulator")) {
      stop = manifest_.spec["simulator"].value("stop_cluster_at_end",
                                               config::SchemaDefault("spec.simulator.stop_cluster_at_end").get<bool>());
    }
    if (stop) BeginShutdown("the scenario is over");
  }
}

}  // namespace kaizen::core
