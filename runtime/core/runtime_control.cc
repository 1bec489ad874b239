// Runtime: control traffic on the ROUTER socket.
#include <algorithm>

#include <spdlog/spdlog.h>

#include "runtime/base/clock.h"
#include "runtime/bus/auth_roles.h"
#include "runtime/core/runtime.h"

namespace kaizen::core {
namespace {
constexpr uint32_t kMaxReplayBatch = 1000;
}  // namespace

void Runtime::ForgetIdlestClient() {
  // A flood of new identities cannot grow the table; a forgotten CLI says Hello again.
  auto idlest = std::min_element(clients_.begin(), clients_.end(),
                                 [](const auto& a, const auto& b) { return a.second < b.second; });
  if (idlest == clients_.end()) return;
  if (++clients_forgotten_ % 1000 == 1) {
    spdlog::warn("{} CLI peers known (the most kept); forgot the idlest, {} ({} forgotten so far)", clients_.size(),
                 idlest->first, clients_forgotten_);
  }
  clients_.erase(idlest);
}

bool Runtime::KnownPeer(const std::string& identity) const {
  auto it = agents_.find(identity);
  if (it != agents_.end()) return it->second.connected;
  return clients_.count(identity) > 0;
}

void Runtime::ReplyError(const bus::Broker::Incoming& in, v1::Error::Code code, const std::string& message) {
  bus::Envelope e = bus::MakeReply(in.envelope, kRuntimeId);
  e.mutable_error()->set_code(code);
  e.mutable_error()->set_message(message);
  broker_->Send(in.identity, e);
}

void Runtime::OnControl(bus::Broker::Incoming& in) {
  const bus::Envelope& e = in.envelope;
  // security.curve: the peer's key was admitted as a role (agent, feedback,
  // admin). An agent key may not approve plans or command the cluster, and
  // only agent keys register as agents (bus/auth_roles.h). Counted as unexpected.
  if (manifest_.runtime.curve) {
    if (std::string why = bus::RoleRefusal(in.auth_role, e); !why.empty()) {
      broker_->Drop(bus::DropReason::kUnexpected, in.identity, why);
      ReplyError(in, v1::Error::FORBIDDEN, why);
      return;
    }
  }
  if (e.body_case() == bus::Envelope::kHello) {
    OnHello(in);
    return;
  }
  if (!KnownPeer(in.identity)) {
    // An agent's last words (its final state change) can be read after the
    // supervisor saw it exit: nothing unknown about them, nothing to answer.
    if (auto gone = agents_.find(in.identity); gone != agents_.end() && gone->second.exited) {
      spdlog::debug("{} from {} after it exited: not applied", bus::BodyName(e), in.identity);
      return;
    }
    broker_->Drop(bus::DropReason::kUnknownSender, in.identity, bus::BodyName(e) + " before Hello");
    // A peer the runtime forgot (e.g. after a runtime restart) registers again.
    ReplyError(in, v1::Error::NOT_REGISTERED, "say Hello first");
    return;
  }
  int64_t now = MonoMs();
  auto agent = agents_.find(in.identity);
  if (agent != agents_.end()) {
    agent->second.last_seen_mono = now;
    agent->second.last_seen_wall = WallMs();
  } else {
    clients_[in.identity] = now;
    if (human_.IsPerson(in.identity)) human_.Seen(in.identity, now);
  }

  if (!e.recipient().empty() && e.recipient() != kRuntimeId) {
    Forward(in);
    return;
  }
  // The table's cycle column: a stage reply or a split for another cycle is
  // late (an earlier cycle, or one a restart ended), not an error.
  if (std::string why = bus::CycleRefusal(e, controller_->running() ? controller_->cycle()->id : ""); !why.empty()) {
    spdlog::info("dropped {} from {}: {}", bus::BodyName(e), in.identity, why);
    if (e.body_case() == bus::Envelope::kTrafficSplit) ReplyError(in, v1::Error::BAD_REQUEST, why);
    return;
  }
  switch (e.body_case()) {
    case bus::Envelope::kHeartbeat:
      return;
    case bus::Envelope::kStateChange:
      if (agent == agents_.end() || e.state_change().agent_id() != in.identity) {
        broker_->Drop(bus::DropReason::kUnexpected, in.identity, "state change for another agent or from a client");
        ReplyError(in, v1::Error::FORBIDDEN, "a peer may only report its own state");
        return;
      }
      OnStateChange(agent->second, e.state_change());
      return;
    case bus::Envelope::kStatusRequest:
      OnStatusRequest(in);
      return;
    case bus::Envelope::kReplayRequest:
      OnReplayRequest(in);
      return;
    case bus::Envelope::kCommand:
      OnCommand(in);
      return;
    case bus::Envelope::kTask:
      OnTask(in);
      return;
    case bus::Envelope::kTaskResult:
      OnTaskResult(in);
      return;
    case bus::Envelope::kFeedback:
      OnFeedback(in);
      return;
    case bus::Envelope::kTrigger:
      OnTrigger(in);
      return;
    case bus::Envelope::kModelReady:
      if (e.cycle_id().empty()) {
        OnInitialModel(in);
        return;
      }
      OnCycleReply(in);
      return;
    case bus::Envelope::kPlan:
    case bus::Envelope::kDatasetReady:
    case bus::Envelope::kTrainProgress:
    case bus::Envelope::kEvalReport:
    case bus::Envelope::kRolloutDecision:
      OnCycleReply(in);
      return;
    case bus::Envelope::kApprovalDecision:
      OnApprovalDecision(in);
      return;
    case bus::Envelope::kTrafficSplit:
      OnTrafficSplit(in);
      return;
    case bus::Envelope::kScenarioReport:
      OnScenarioReport(in);
      return;
    case bus::Envelope::kMetricsReport:
      OnMetricsReport(in);
      return;
    case bus::Envelope::kLabelRequest:
      OnLabelRequest(in);
      return;
    case bus::Envelope::kLabelAnswer:
      OnLabelAnswer(in);
      return;
    case bus::Envelope::kRequestClosed:
      OnRequestClosed(in);
      return;
    case bus::Envelope::kAck:
      (void)TakeReply(e);  // an Ack nobody waits for needs nothing
      return;
    case bus::Envelope::kError:
      if (TakeReply(e)) return;
      if (!e.correlation_id().empty() && e.correlation_id() == controller_->outstanding_request()) {
        OnCycleReply(in);
        return;
      }
      spdlog::warn("error from {}: {}", in.identity, e.error().message());
      return;
    default:
      broker_->Drop(bus::DropReason::kUnexpected, in.identity, bus::BodyName(e) + " is not a runtime request");
      ReplyError(in, v1::Error::BAD_REQUEST, "the runtime does not take " + bus::BodyName(e) + " messages");
  }
}

void Runtime::OnHello(bus::Broker::Incoming& in) {
  const auto& hello = in.envelope.hello();
  bus::Envelope reply = bus::MakeReply(in.envelope, kRuntimeId);
  auto* w = reply.mutable_welcome();
  w->set_cluster(manifest_.name);
  w->set_heartbeat_interval_ms(manifest_.runtime.heartbeat_interval_ms);
  w->set_liveness(manifest_.runtime.liveness);
  w->set_events_endpoint(broker_->events_endpoint());
  w->set_state_dir(paths_.dir);
  w->set_last_seq(journal_->last_seq());

  // A person (`kaizen feedback`) is a client too, one that answers label requests.
  if (hello.role() == "cli" || hello.role() == "feedback") {
    if (agents_.count(in.identity)) {
      ReplyError(in, v1::Error::FORBIDDEN, "identity '" + in.identity + "' belongs to an agent");
      return;
    }
    if (!clients_.count(in.identity) && clients_.size() >= kMaxClients) ForgetIdlestClient();
    clients_[in.identity] = MonoMs();
    broker_->Send(in.identity, reply);
    if (hello.role() == "feedback") OnPersonAttached(in.identity);
    return;
  }
  auto it = agents_.find(in.identity);
  if (it == agents_.end() || it->second.role != hello.role()) {
    broker_->Drop(bus::DropReason::kUnknownSender, in.identity,
                  "Hello as role '" + hello.role() + "' from an id the manifest does not name");
    ReplyError(in, v1::Error::FORBIDDEN,
               "agent '" + in.identity + "' with role '" + hello.role() + "' is not in cluster '" + manifest_.name + "'");
    return;
  }
  AgentEntry& a = it->second;
  if (!a.supervised) {
    a.node = hello.host();
    RecordClusterEvent("agent_joined",
                       "external agent (pid " + std::to_string(hello.pid()) + " on " +
                           (hello.host().empty() ? std::string("an unnamed host") : hello.host()) + ")" +
                           (a.connected ? "; it replaces the process that had this id" : ""),
                       a.id);
  }
  if (a.pid != 0 && hello.pid() != 0 && hello.pid() != a.pid) {
    spdlog::warn("agent {} says pid {} but the supervisor started pid {}", a.id, hello.pid(), a.pid);
  }
  a.epoch = std::max(a.epoch + 1, WallMs());
  if (a.role == "worker") {
    const auto replicas = ReplicasOf(ArmOf(a.id));
    const bool others = std::any_of(replicas.begin(), replicas.end(), [&](const std::string& r) {
      auto other = agents_.find(r);
      return r != a.id && other != agents_.end() && other->second.connected;
    });
    if (!others) arm_epoch_[ArmOf(a.id)] = a.epoch;
  }
  a.connected = true;
  a.last_seen_mono = MonoMs();
  a.last_seen_wall = WallMs();
  if (!hello.model_version().empty()) a.model_version = hello.model_version();
  w->set_settings_json(WelcomeSettings(a));
  broker_->Send(in.identity, reply);
  // A new process: what the old one was asked (a stage request, the
  // candidate) goes to it again from the controller's reconcile.
  controller_->Reconcile();
}

void Runtime::OnStateChange(AgentEntry& agent, const v1::StateChange& sc) {
  if (sc.to() == v1::AGENT_STATE_UNSPECIFIED) return;
  if (!sc.model_version().empty() && sc.model_version() != agent.model_version) {
    agent.model_version = sc.model_version();
    if (sc.to() == agent.state && sc.detail() == agent.detail) PersistAgent(agent);
  }
  ApplyState(agent, sc.to(), sc.detail());
}

void Runtime::OnStatusRequest(const bus::Broker::Incoming& in) {
  bus::Envelope reply = bus::MakeReply(in.envelope, kRuntimeId);
  auto* r = reply.mutable_status_reply();
  r->set_cluster(manifest_.name);
  r->set_phase(stopping_ ? "stopping" : "running");
  r->set_runtime_pid(::getpid());
  r->set_started_ms(started_ms_);
  r->set_last_seq(journal_->last_seq());
  r->set_state_dir(paths_.dir);
  r->set_control_endpoint(broker_->control_endpoint());
  r->set_events_endpoint(broker_->events_endpoint());
  for (const auto& id : agent_order_) {  // manifest order, then clones
    const AgentEntry& a = agents_.at(id);
    auto* s = r->add_agents();
    s->set_id(a.id);
    s->set_role(a.role);
    s->set_state(a.state);
    s->set_detail(a.detail);
    s->set_pid(a.pid);
    s->set_restarts(a.restarts);
    s->set_model_version(a.model_version);
    s->set_last_seen_ms(a.last_seen_wall);
    s->set_connected(a.connected);
    s->set_placement(config::PlacementName(a.placement));
    s->set_job_id(a.job_id);
    s->set_node(a.node);
  }
  *r->mutable_bus() = broker_->counters().ToProto();
  r->mutable_bus()->set_dropped_rate_limited(flood_->limited());
  r->mutable_bus()->set_dropped_frames(r->bus().dropped_frames() + flood_->limited());
  r->mutable_bus()->set_cli_peers(clients_.size());
  r->mutable_bus()->set_cli_peers_forgotten(clients_forgotten_);
  nlohmann::json cycle = controller_->StatusJson();
  if (!cycle.is_null()) r->set_cycle_json(cycle.dump());
  r->set_router_json(RouterJson().dump());
  broker_->Send(in.identity, reply);
}

void Runtime::OnReplayRequest(const bus::Broker::Incoming& in) {
  (void)journal_->Flush();  // a replay serves committed events only, never ones a crash could take back
  const auto& req = in.envelope.replay_request();
  store::EventFilter f;
  f.from_seq = std::max<uint64_t>(1, req.from_seq());
  f.to_seq = req.to_seq();
  f.kind = req.kind();
  f.agent = req.agent();
  f.cycle = req.cycle();
  f.since_ms = req.since_ms();
  uint32_t limit = req.limit() == 0 ? kMaxReplayBatch : std::min(req.limit(), kMaxReplayBatch);
  f.limit = limit;
  auto events = store_->ReadEvents(f);
  if (!events.ok()) {
    ReplyError(in, v1::Error::INTERNAL, "replay failed: " + events.status().message());
    return;
  }
  bus::Envelope reply = bus::MakeReply(in.envelope, kRuntimeId);
  auto* batch = reply.mutable_replay_batch();
  batch->set_last_seq(journal_->last_seq());
  uint64_t last = 0;
  for (const auto& ev : *events) {
    if (!batch->add_events()->ParseFromString(ev.payload)) {
      batch->mutable_events()->RemoveLast();
      spdlog::error("journal event {} does not parse; skipped in replay", ev.seq);
    }
    last = ev.seq;
  }
  // One batch per request keeps the loop responsive; the client asks again
  // from the last seq it got until done.
  batch->set_done(events->size() < limit || (f.to_seq != 0 && last >= f.to_seq));
  broker_->Send(in.identity, reply);
}

void Runtime::OnCommand(const bus::Broker::Incoming& in) {
  const auto& cmd = in.envelope.command();
  bus::Envelope ack = bus::MakeReply(in.envelope, kRuntimeId);
  switch (cmd.kind()) {
    case v1::Command::SHUTDOWN:
      ack.mutable_ack()->set_detail("stopping cluster '" + manifest_.name + "'");
      broker_->Send(in.identity, ack);
      BeginShutdown("shutdown requested by " + in.identity + (cmd.reason().empty() ? "" : ": " + cmd.reason()));
      return;
    case v1::Command::DRAIN: {
      auto it = agents_.find(cmd.argument());
      if (it == agents_.end() || !it->second.connected) {
        ReplyError(in, v1::Error::UNKNOWN_RECIPIENT, "no connected agent '" + cmd.argument() + "'");
        return;
      }
      bus::Envelope fwd = bus::MakeEnvelope(kRuntimeId, cmd.argument());
      *fwd.mutable_command() = cmd;
      broker_->Send(cmd.argument(), fwd);
      RecordClusterEvent("drain_requested", "by " + in.identity, cmd.argument());
      ack.mutable_ack()->set_detail("draining " + cmd.argument());
      broker_->Send(in.identity, ack);
      return;
    }
    case v1::Command::PROMOTE:
    case v1::Command::ROLLBACK: {
      // A running A/B test, or a promotion waiting for its approval, can be ended by hand.
      const auto& cycle = controller_->cycle();
      if (!cycle || (cycle->stage != v1::CYCLE_STAGE_ROLLING_OUT && !controller_->AwaitingPromotion())) {
        ReplyError(in, v1::Error::BAD_REQUEST,
                   "no cycle is rolling out; nothing to promote or roll back" +
                       (cycle ? " (cycle " + cycle->id + " is at " + cycle::StageName(cycle->stage) + ")"
                              : std::string()));
        return;
      }
      if (!cmd.argument().empty() && cmd.argument() != cycle->id) {
        ReplyError(in, v1::Error::BAD_REQUEST,
                   "cycle '" + cmd.argument() + "' is not rolling out; the running cycle is " + cycle->id);
        return;
      }
      bool promote = cmd.kind() == v1::Command::PROMOTE;
      std::string why = std::string("operator ") + (promote ? "promoted" : "rolled back") + " (" + in.identity +
                        (in.auth_role.empty() ? "" : ", key role " + in.auth_role) + ")" +
                        (cmd.reason().empty() ? "" : ": " + cmd.reason());
      ack.mutable_ack()->set_detail(why + " [cycle " + cycle->id + "]");
      if (Status s = controller_->OnOperatorEnd(promote, why); !s.ok()) {
        ReplyError(in, v1::Error::INTERNAL, s.message() + " (see the runtime log)");
        return;
      }
      broker_->Send(in.identity, ack);
      controller_->Reconcile();
      return;
    }
    case v1::Command::SET_ANCHOR:
      OnSetAnchor(in, cmd);
      return;
    default:
      ReplyError(in, v1::Error::BAD_REQUEST,
                 "command " + v1::Command::Kind_Name(cmd.kind()) + " is not available in this version");
  }
}

void Runtime::Forward(bus::Broker::Incoming& in) {
  const std::string& to = in.envelope.recipient();
  std::string target;
  if (to.rfind("role:", 0) == 0) {
    std::string role = to.substr(5);
    for (const auto& [id, a] : agents_) {
      if (a.role == role && a.connected) {
        target = id;
        break;
      }
    }
  } else if (KnownPeer(to)) {
    target = to;
  }
  if (target.empty() || !broker_->Forward(target, in)) {
    ReplyError(in, v1::Error::UNKNOWN_RECIPIENT, "no connected peer for recipient '" + to + "'");
  }
}

}  // namespace kaizen::core
