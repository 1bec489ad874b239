// Runtime: the model registry and the improvement cycle. The cycle is a
// persisted state machine (runtime/cycle/cycle_record.h); each stage sends one
// request to the agent of that role and waits for its answer. A stage's
// request is sent again when an agent of its role (re)registers, so a
// restarted agent picks the work up; answers to an older request are dropped.
//
// Every decision (a transition with what it registers) is one transaction
// (runtime_decision.cc): the sends below go out through Then(), after it.
//
// Clone management: on a trigger a clone of the worker starts with the serving
// version and takes the traffic once it serves; the worker reports
// `improving`. At rollout the worker loads the candidate and traffic is split
// between the clone (incumbent) and the worker (candidate) as deployment
// says. Promotion keeps the worker and drains the clone; rollback and abort
// bring the worker back to the incumbent, then drain the clone.
#include <csignal>
#include <fstream>

#include <google/protobuf/util/json_util.h>
#include <spdlog/spdlog.h>

#include "config/manifest_schema.h"
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

json ToJson(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::util::JsonPrintOptions o;
  o.preserve_proto_field_names = true;
  o.always_print_primitive_fields = true;
  if (!google::protobuf::util::MessageToJsonString(m, &out, o).ok()) return json::object();
  return json::parse(out, nullptr, false);
}

template <typename M>
M FromJson(const json& j) {
  M m;
  google::protobuf::util::JsonParseOptions o;
  o.ignore_unknown_fields = true;
  (void)google::protobuf::util::JsonStringToMessage(j.dump(), &m, o);
  return m;
}

std::string LocalPath(const std::string& uri) {
  const std::string scheme = "file://";
  return uri.rfind(scheme, 0) == 0 ? uri.substr(scheme.size()) : uri;
}

// An artifact an agent reports must be there and hash to what it says.
Status CheckArtifact(const std::string& what, const std::string& uri, const std::string& sha256) {
  if (uri.empty()) return Status::InvalidArgument(what + " has no uri");
  auto sha = Sha256File(LocalPath(uri));
  if (!sha.ok()) return sha.status().WithContext(what);
  if (*sha != sha256) return Status::Corruption(what + " at " + uri + " hashes to " + *sha + ", not " + sha256);
  return Status::OK();
}

// Protobuf's JSON writes int64 as a string.
int64_t IntField(const json& j, const char* key) {
  if (!j.contains(key)) return 0;
  const json& v = j[key];
  if (v.is_number()) return v.get<int64_t>();
  if (v.is_string()) return std::strtoll(v.get<std::string>().c_str(), nullptr, 10);
  return 0;
}

std::string Fixed(double v, int digits = 3) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

}  // namespace

// ---- registry --------------------------------------------------------------

void Runtime::LoadRegistry() {
  auto models = store_->ListModels();
  if (models.ok()) {
    for (const auto& m : *models) {
      if (m.status == "serving") serving_ = {m.version, m.uri, m.sha256};
    }
  }
  if (!serving_.empty()) assigned_[worker_id_] = serving_;
  // A cycle left running by an earlier runtime (killed, or the machine went
  // down) is picked up where it stood: ResumeCycle() once the agents start.
  // Otherwise the last cycle is kept for `kaizen status` (its outcome).
  auto cycles = store_->ListCycles();
  if (!cycles.ok()) {
    spdlog::error("cannot read the cycles: {}", cycles.status().ToString());
    return;
  }
  for (const auto& row : *cycles) {
    auto rec = cycle::CycleRecord::FromJson(json::parse(row.state_json, nullptr, false));
    if (!rec.ok()) {
      spdlog::error("cycle {} in the store does not load: {}", row.id, rec.status().ToString());
      continue;
    }
    if (!cycle_ || cycle_->finished()) cycle_ = std::move(*rec);
  }
}

void Runtime::ResumeCycle() {
  if (!cycle_ || cycle_->finished()) return;
  cycle::CycleRecord& c = *cycle_;
  cycle_ids_.push_back(c.id);
  rollout_ready_ = false;
  RecordClusterEvent("cycle_resumed", "cycle " + c.id + " resumes at " + cycle::StageName(c.stage) +
                                          "; finished stages are not run again");
  spdlog::info("resuming cycle {} at {}", c.id, cycle::StageName(c.stage));
  if (c.stage == v1::CYCLE_STAGE_TRIGGERED) {
    DecisionScope decision(*this, "resume");
    Transition(v1::CYCLE_STAGE_PLANNING, "resumed after a runtime restart");
    if (!decision.End()) return;
  }
  if (cycle_->finished()) return;
  if (cycle_->during_improvement == "clone") StartClone();
  // The stage's request goes out when its agent registers (OnHello); a
  // rollout first needs the worker back with the candidate.
}

std::string Runtime::NextModelVersion() const {
  auto models = store_->ListModels();
  size_t n = models.ok() ? models->size() : 0;
  return "v" + std::to_string(n + 1);
}

std::string Runtime::WelcomeSettings(const AgentEntry& a) const {
  json s = json::parse(a.settings_json, nullptr, false);
  if (!s.is_object()) s = json::object();
  s["cluster"] = {{"name", manifest_.name}, {"state_dir", paths_.dir}, {"spec", manifest_.spec}};
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
  if (!serving_.empty()) {
    // Another instance got there first: serve that one.
    bus::Envelope ack = bus::MakeReply(in.envelope, kRuntimeId);
    ack.mutable_ack()->set_detail(serving_.version);
    broker_->Send(in.identity, ack);
    return;
  }
  if (Status s = CheckArtifact("initial model", mr.uri(), mr.sha256()); !s.ok()) {
    ReplyError(in, v1::Error::BAD_REQUEST, s.message());
    return;
  }
  store::ModelRow row;
  row.version = NextModelVersion();
  row.uri = mr.uri();
  row.sha256 = mr.sha256();
  row.status = "serving";
  row.metrics_json = mr.metrics_json().empty() ? "{}" : mr.metrics_json();
  row.created_ms = WallMs();
  DecisionScope decision(*this, "initial_model");
  Write([&] { return store_->PutModel(row); }, "the model row of " + row.version);
  serving_ = {row.version, row.uri, row.sha256};
  assigned_[in.identity] = serving_;
  bus::Envelope event = bus::MakeEnvelope(kRuntimeId, "");
  *event.mutable_model_ready() = mr;
  event.mutable_model_ready()->set_version(row.version);
  Written(journal_->Record("model", in.identity, "worker", &event), "the model event");
  RecordClusterEvent("model_registered", "initial model " + row.version + " serving (" + row.sha256.substr(0, 12) + ")",
                     in.identity);
  if (!decision.End()) {
    ReplyError(in, v1::Error::INTERNAL, "cannot register the initial model: the store refused it (see the runtime log)");
    return;
  }
  bus::Envelope ack = bus::MakeReply(in.envelope, kRuntimeId);
  ack.mutable_ack()->set_detail(row.version);
  broker_->Send(in.identity, ack);
}

// ---- commands to agents ----------------------------------------------------

void Runtime::SendCommand(const std::string& agent_id, v1::Command::Kind kind, const std::string& argument,
                          const std::string& reason, ReplyHandler on_reply) {
  if (decision_) {
    Then([=, this, on_reply = std::move(on_reply)]() mutable {
      SendCommand(agent_id, kind, argument, reason, std::move(on_reply));
    });
    return;
  }
  bus::Envelope e = bus::MakeEnvelope(kRuntimeId, agent_id);
  e.set_message_id(NewId());
  if (cycle_) e.set_cycle_id(cycle_->id);
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
  if (on_reply) pending_replies_[e.message_id()] = std::move(on_reply);
}

bool Runtime::TakeReply(const bus::Envelope& reply) {
  auto it = pending_replies_.find(reply.correlation_id());
  if (it == pending_replies_.end()) return false;
  ReplyHandler h = std::move(it->second);
  pending_replies_.erase(it);
  h(reply);
  return true;
}

// ---- the cycle -------------------------------------------------------------

void Runtime::PersistCycle() {
  if (!cycle_) return;
  store::CycleRow row;
  row.id = cycle_->id;
  row.stage = cycle::StageName(cycle_->stage);
  row.state_json = cycle_->ToJson().dump();
  row.created_ms = cycle_->created_ms;
  row.updated_ms = WallMs();
  if (!decision_) spdlog::error("cycle {} written outside a decision", cycle_->id);
  Write([&] { return store_->PutCycle(row); }, "the row of cycle " + cycle_->id);
}

void Runtime::Transition(v1::CycleStage to, const std::string& reason) {
  if (!cycle_) return;
  const v1::CycleStage from = cycle_->stages.empty() ? v1::CYCLE_STAGE_UNSPECIFIED : cycle_->stage;
  if (from != v1::CYCLE_STAGE_UNSPECIFIED && !cycle::TransitionAllowed(from, to)) {
    spdlog::error("cycle {}: {} -> {} is not a transition of the cycle; ignored", cycle_->id, cycle::StageName(from),
                  cycle::StageName(to));
    return;
  }
  DecisionScope decision(*this, cycle::StageName(to));  // joins the decision that makes it
  cycle_->Enter(to, WallMs());
  if (cycle::IsTerminal(to)) cycle_->outcome_reason = reason;
  if (to != v1::CYCLE_STAGE_AWAITING_APPROVAL) cycle_->approval = json::object();
  Then([this, to] { CountTransition(to); });
  stage_request_id_.clear();
  bus::Envelope e = bus::MakeEnvelope(kRuntimeId, "");
  e.set_cycle_id(cycle_->id);
  auto* ct = e.mutable_cycle_transition();
  ct->set_cycle_id(cycle_->id);
  ct->set_from(from);
  ct->set_to(to);
  ct->set_reason(reason);
  Written(journal_->Record("cycle_transition", "", "cycle", &e), "the transition's journal event");
  PersistCycle();
  spdlog::info("cycle {}: {} -> {}: {}", cycle_->id, cycle::StageName(from), cycle::StageName(to), reason);
  if (cycle::IsTerminal(to)) {
    if (const std::string llm = cycle::LlmUsageLine(cycle_->llm_usage); !llm.empty()) {
      spdlog::info("cycle {}: {}", cycle_->id, llm);
    }
  }
}

std::string Runtime::StageRole() const {
  if (!cycle_) return "";
  switch (cycle_->stage) {
    case v1::CYCLE_STAGE_PLANNING:
      return "planning";
    case v1::CYCLE_STAGE_GENERATING_DATA:
      return "datagen";
    case v1::CYCLE_STAGE_TRAINING:
      return "training";
    case v1::CYCLE_STAGE_EVALUATING:
      return "evaluation";
    case v1::CYCLE_STAGE_ROLLING_OUT:
      // Only once the candidate serves; before that there is nothing to test.
      return rollout_ready_ ? "deployment" : "";
    default:
      return "";
  }
}

void Runtime::SendStageRequest() {
  const std::string role = StageRole();
  if (role.empty()) return;
  std::string target;
  for (const auto& id : agent_order_) {
    const AgentEntry& a = agents_.at(id);
    if (a.role == role && a.connected) {
      target = id;
      break;
    }
  }
  if (target.empty()) {
    spdlog::warn("cycle {}: no {} agent connected; the request goes out when one registers", cycle_->id, role);
    return;
  }
  const cycle::CycleRecord& c = *cycle_;
  bus::Envelope e = bus::MakeEnvelope(kRuntimeId, target);
  e.set_message_id(NewId());
  e.set_cycle_id(c.id);
  const v1::Plan plan = FromJson<v1::Plan>(c.plan);
  switch (c.stage) {
    case v1::CYCLE_STAGE_PLANNING: {
      auto* r = e.mutable_plan_request();
      *r->mutable_trigger() = FromJson<v1::Trigger>(c.trigger);
      r->set_attempt(c.attempt);
      r->set_teacher_calls_spent(c.teacher_calls);
      r->set_teacher_cost_spent(c.teacher_cost);
      if (c.attempt > 1) {
        *r->mutable_last_plan() = plan;
        *r->mutable_last_report() = FromJson<v1::EvalReport>(c.evaluation);
      }
      break;
    }
    case v1::CYCLE_STAGE_GENERATING_DATA: {
      auto* r = e.mutable_data_request();
      *r->mutable_plan() = plan;
      r->set_base_model(c.incumbent.version);
      r->set_from_seq(1);
      r->set_change_seq(FromJson<v1::Trigger>(c.trigger).change_seq());
      r->set_attempt(c.attempt);
      r->set_carry_dataset_uri(DatasetThatMade(c.incumbent.version));
      break;
    }
    case v1::CYCLE_STAGE_TRAINING: {
      auto* r = e.mutable_train_request();
      r->set_base_model(c.incumbent.version);
      r->set_base_model_uri(c.incumbent.uri);
      r->set_dataset_id(c.dataset.value("id", ""));
      r->set_dataset_uri(c.dataset.value("uri", ""));
      r->set_output_version(c.candidate.version);
      break;
    }
    case v1::CYCLE_STAGE_EVALUATING: {
      auto* r = e.mutable_eval_request();
      r->set_candidate(c.candidate.version);
      r->set_candidate_uri(c.candidate.uri);
      r->set_incumbent(c.incumbent.version);
      r->set_incumbent_uri(c.incumbent.uri);
      r->set_dataset_id(c.dataset.value("id", ""));
      r->set_dataset_uri(c.dataset.value("uri", ""));
      *r->mutable_acceptance() = plan.acceptance();
      // A refit candidate: the verdict is on its holdout twin (training.refit).
      if (auto m = store_->GetModel(c.candidate.version); m.ok() && *m) {
        const json metrics = json::parse((*m)->metrics_json, nullptr, false);
        if (metrics.is_object() && metrics.contains("holdout") && metrics["holdout"].is_object()) {
          r->set_holdout_uri(metrics["holdout"].value("uri", ""));
          r->set_holdout_sha256(metrics["holdout"].value("sha256", ""));
        }
      }
      break;
    }
    case v1::CYCLE_STAGE_ROLLING_OUT: {
      auto* r = e.mutable_rollout_request();
      r->set_candidate(c.candidate.version);
      r->set_incumbent(c.incumbent.version);
      for (const auto& s : manifest_.spec.at("deployment").at("steps")) r->add_steps(s.get<double>());
      r->set_candidate_worker(c.candidate_worker);
      r->set_incumbent_worker(c.incumbent_worker);
      break;
    }
    default:
      return;
  }
  stage_request_id_ = e.message_id();
  Then([this, target, e] { broker_->Send(target, e); });
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

void Runtime::OnTrigger(const bus::Broker::Incoming& in) {
  const v1::Trigger& t = in.envelope.trigger();
  bus::Envelope event = bus::MakeEnvelope(kRuntimeId, "");
  *event.mutable_trigger() = t;
  std::string ignored;
  if (stopping_) ignored = "the cluster is stopping";
  else if (cycle_ && !cycle_->finished()) ignored = "cycle " + cycle_->id + " is still running";
  else if (serving_.empty()) ignored = "no model serves yet";
  if (!ignored.empty()) {
    Written(journal_->Record("trigger", in.identity, "monitoring", &event), "an ignored trigger's journal event");
    spdlog::info("trigger from {} ({}) ignored: {}", in.identity, t.policy(), ignored);
    return;
  }
  DecisionScope decision(*this, "trigger");
  auto cycles = store_->ListCycles();
  cycle::CycleRecord c;
  c.id = "c" + std::to_string((cycles.ok() ? cycles->size() : 0) + 1);
  c.created_ms = WallMs();
  c.trigger = ToJson(t);
  c.incumbent = serving_;
  c.during_improvement = manifest_.spec.at("worker").value(
      "during_improvement", config::SchemaDefault("spec.worker.during_improvement").get<std::string>());
  c.incumbent_worker = c.during_improvement == "clone" ? clone_id_ : worker_id_;
  c.candidate_worker = worker_id_;
  cycle_ = std::move(c);
  cycle_ids_.push_back(cycle_->id);
  rollout_ready_ = false;
  event.set_cycle_id(cycle_->id);
  Written(journal_->Record("trigger", in.identity, "monitoring", &event), "the trigger's journal event");
  Transition(v1::CYCLE_STAGE_TRIGGERED, t.policy() + ": " + t.reason());

  if (cycle_->during_improvement == "clone") {
    Then([this] { StartClone(); });
  } else {
    // pause: tasks wait in the router's queue while the worker improves.
    SendCommand(worker_id_, v1::Command::IMPROVE, "", "paused while improving (during_improvement: pause)");
  }
  Transition(v1::CYCLE_STAGE_PLANNING, "asking planning how to improve " + cycle_->incumbent.version);
  SendStageRequest();
}

void Runtime::StartClone() {
  const AgentEntry& worker = agents_.at(worker_id_);
  AgentEntry& c = agents_[clone_id_];
  const bool fresh = c.id.empty();
  c.id = clone_id_;
  c.role = "worker";
  c.settings_json = worker.settings_json;
  c.clone_of = worker_id_;
  c.supervised = true;
  if (fresh) agent_order_.push_back(clone_id_);
  assigned_[clone_id_] = cycle_->incumbent;
  clone_draining_ = false;
  const config::AgentSpec* spec = nullptr;
  for (const auto& a : manifest_.agents) {
    if (a.id == worker_id_) spec = &a;
  }
  if (supervisor_->PidOf(clone_id_) != 0) return;  // still running from before
  Status s = StartAgentProcess(c, spec->restart);
  if (!s.ok()) {
    // The worker keeps serving; the cycle goes on without a clone.
    spdlog::error("cannot start the clone: {}", s.ToString());
    RecordClusterEvent("clone_failed", s.message(), clone_id_);
  } else {
    RecordClusterEvent("clone_started", "clone of " + worker_id_ + " serving " + cycle_->incumbent.version, clone_id_);
  }
}

void Runtime::DrainClone() {
  if (supervisor_->PidOf(clone_id_) == 0) return;
  clone_draining_ = true;
  clone_drain_since_ = MonoMs();
  assigned_.erase(clone_id_);
}

void Runtime::CycleTick(int64_t now) {
  if (clone_draining_ && (router_->InFlightOn(clone_id_) == 0 || now - clone_drain_since_ > kCloneDrainMs)) {
    clone_draining_ = false;
    RecordClusterEvent("clone_stopping",
                       "no traffic and " + std::to_string(router_->InFlightOn(clone_id_)) + " tasks in flight",
                       clone_id_);
    supervisor_->Signal(clone_id_, SIGTERM);
  }
  if (!cycle_ || cycle_->finished()) {
    // After a rollback or an abort: back to the worker once it serves the
    // serving version again, then the clone drains.
    if (traffic_.primary() == clone_id_ && !traffic_.split() && CanServe(worker_id_) &&
        agents_.at(worker_id_).model_version == serving_.version) {
      traffic_.SetSingle(worker_id_);
      RecordClusterEvent("traffic", "all traffic back to " + worker_id_ + " (" + serving_.version + ")");
      DrainClone();
    } else if (traffic_.split()) {
      traffic_.SetSingle(CanServe(clone_id_) ? clone_id_ : worker_id_);
    } else if (traffic_.primary() == worker_id_ && supervisor_->PidOf(clone_id_) != 0 && !clone_draining_) {
      DrainClone();
    }
    return;
  }
  // The clone takes over once it serves; only then does the worker stop serving.
  if (cycle_->during_improvement == "clone" && cycle_->stage != v1::CYCLE_STAGE_ROLLING_OUT && !traffic_.split() &&
      traffic_.primary() == worker_id_ && CanServe(clone_id_)) {
    traffic_.SetSingle(clone_id_);
    RecordClusterEvent("traffic", "all traffic to the clone " + clone_id_ + " while " + worker_id_ + " improves");
    SendCommand(worker_id_, v1::Command::IMPROVE, "", "cycle " + cycle_->id + ": " + clone_id_ + " serves meanwhile");
  }
  if (cycle_->stage == v1::CYCLE_STAGE_AWAITING_APPROVAL) {
    // A plan waits on planning's timeout policy, a promotion on deployment's.
    const json& section = ApprovalSection();
    const std::string key = AwaitingPromotion() ? "deployment" : "planning";
    const int64_t timeout_ms =
        section.value("approval_timeout_s", config::SchemaDefault("spec." + key + ".approval_timeout_s").get<int64_t>()) *
        1000;
    const std::string policy = section.value(
        "approval_timeout_policy", config::SchemaDefault("spec." + key + ".approval_timeout_policy").get<std::string>());
    const int64_t waited = WallMs() - cycle_->stages.back().started_ms;
    if (waited > timeout_ms && policy != "wait") {
      DecisionScope decision(*this, "approval_timeout");
      DecideApproval(policy == "approve", "approval timed out; " + std::string(policy == "approve" ? "approved" : "rejected") +
                                              " by " + key + ".approval_timeout_policy");
    }
  }
}

bool Runtime::AwaitingPromotion() const {
  // A promotion waits with the deployment's decision in hand; a plan before it.
  return cycle_ && cycle_->stage == v1::CYCLE_STAGE_AWAITING_APPROVAL && !cycle_->decision.empty();
}

const json& Runtime::ApprovalSection() const {
  static const json kEmpty = json::object();
  auto it = manifest_.spec.find(AwaitingPromotion() ? "deployment" : "planning");
  return it != manifest_.spec.end() && it->is_object() ? *it : kEmpty;
}

void Runtime::RequestApproval(const std::string& subject, const std::string& summary) {
  bus::Envelope req = bus::MakeEnvelope(kRuntimeId, "");
  req.set_cycle_id(cycle_->id);
  auto* ar = req.mutable_approval_request();
  ar->set_request_id(cycle_->id);  // the id operators see in `kaizen status` and `kaizen logs`
  ar->set_subject(subject);
  ar->set_summary(summary);
  const json& section = ApprovalSection();
  const std::string key = AwaitingPromotion() ? "deployment" : "planning";
  if (section.value("approval_timeout_policy",
                    config::SchemaDefault("spec." + key + ".approval_timeout_policy").get<std::string>()) != "wait") {
    ar->set_expires_ms(WallMs() + section.value("approval_timeout_s",
                                                config::SchemaDefault("spec." + key + ".approval_timeout_s").get<int64_t>()) *
                                      1000);
  }
  cycle_->approval = {{"subject", subject}, {"summary", summary}, {"expires_ms", ar->expires_ms()}};
  PersistCycle();
  Written(journal_->Record("approval_request", "", "cycle", &req), "the approval request's journal event");
}

void Runtime::DecideApproval(bool approved, const std::string& why) {
  if (!cycle_ || cycle_->stage != v1::CYCLE_STAGE_AWAITING_APPROVAL) return;
  if (AwaitingPromotion()) {
    FinishCycle(approved ? v1::CYCLE_STAGE_PROMOTED : v1::CYCLE_STAGE_ROLLED_BACK, why);
  } else if (approved) {
    Transition(v1::CYCLE_STAGE_GENERATING_DATA, why);
    SendStageRequest();
  } else {
    FinishCycle(v1::CYCLE_STAGE_ABORTED, why);
  }
}

void Runtime::OnCycleReply(const bus::Broker::Incoming& in) {
  const bus::Envelope& e = in.envelope;
  // Stage replies for another cycle were dropped before dispatch (bus/auth_roles.h); an Error reaches
  // here only when it answers the running stage's request.
  if (!cycle_ || cycle_->finished()) return;
  cycle::CycleRecord& c = *cycle_;
  if (e.body_case() == bus::Envelope::kTrainProgress) {
    if (c.stage != v1::CYCLE_STAGE_TRAINING) return;
    bus::Envelope event = e;
    event.set_recipient("");
    if (Status s = journal_->Append("train_progress", in.identity, "training", &event); !s.ok()) {
      spdlog::warn("training progress of cycle {} not journaled: {}", c.id, s.ToString());
    }
    training_progress_ = e.train_progress().fraction();
    return;
  }
  if (e.correlation_id() != stage_request_id_) {
    spdlog::info("dropped a stale {} from {} (answers an earlier request)", bus::BodyName(e), in.identity);
    return;
  }
  const std::string stage = cycle::StageName(c.stage);
  // What the answer decides commits as one; the switch names it.
  DecisionScope decision(*this, bus::BodyName(e));
  if (e.body_case() == bus::Envelope::kError) {
    FinishCycle(v1::CYCLE_STAGE_ABORTED, stage + " failed in " + in.identity + ": " + e.error().message());
    return;
  }
  bus::Envelope event = e;
  event.set_recipient("");
  switch (e.body_case()) {
    case bus::Envelope::kPlan: {
      if (c.stage != v1::CYCLE_STAGE_PLANNING) return;
      const v1::Plan& p = e.plan();
      c.plan = ToJson(p);
      if (p.has_llm_usage()) c.AddLlmUsage(stage, p.llm_usage());
      Written(journal_->Record("plan", in.identity, "planning", &event), "the plan's journal event");
      std::string what = p.strategy() + ", " + std::to_string(p.teacher_calls()) + " teacher calls by " + p.teacher() +
                         " (" + p.selection_policy() + ")";
      for (const auto& b : p.bound_actions()) what += "; " + b;
      if (p.needs_approval()) {
        Transition(v1::CYCLE_STAGE_AWAITING_APPROVAL, "plan needs a human approval: " + what);
        RequestApproval("plan", what + ". " + p.rationale());
      } else {
        Transition(v1::CYCLE_STAGE_GENERATING_DATA, "plan: " + what);
        SendStageRequest();
      }
      return;
    }
    case bus::Envelope::kDatasetReady: {
      if (c.stage != v1::CYCLE_STAGE_GENERATING_DATA) return;
      const v1::DatasetReady& d = e.dataset_ready();
      if (Status s = CheckArtifact("dataset " + d.dataset_id(), d.uri(), d.sha256()); !s.ok()) {
        FinishCycle(v1::CYCLE_STAGE_ABORTED, "generating_data produced a bad artifact: " + s.message());
        return;
      }
      store::DatasetRow row;
      row.id = d.dataset_id();
      row.uri = d.uri();
      row.sha256 = d.sha256();
      row.rows = d.train_rows() + d.validation_rows();
      row.provenance_json = d.provenance_json().empty() ? "{}" : d.provenance_json();
      row.created_ms = WallMs();
      Write([&] { return store_->PutDataset(row); }, "the dataset row of " + row.id.substr(0, 12));
      c.dataset = {{"id", d.dataset_id()},       {"uri", d.uri()},
                   {"sha256", d.sha256()},       {"train_rows", d.train_rows()},
                   {"validation_rows", d.validation_rows()}};
      c.teacher_calls += d.teacher_calls();
      if (d.has_llm_usage()) c.AddLlmUsage(stage, d.llm_usage());
      c.teacher_cost += d.teacher_cost();
      Written(journal_->Record("dataset", in.identity, "datagen", &event), "the dataset's journal event");
      c.candidate = {NextModelVersion(), "", ""};
      Transition(v1::CYCLE_STAGE_TRAINING,
                 "dataset " + d.dataset_id().substr(0, 12) + ": " + std::to_string(d.train_rows()) + " train / " +
                     std::to_string(d.validation_rows()) + " validation rows, " + std::to_string(d.teacher_calls()) +
                     " teacher calls ($" + Fixed(d.teacher_cost(), 2) + ")");
      training_progress_ = 0;
      SendStageRequest();
      return;
    }
    case bus::Envelope::kModelReady: {
      if (c.stage != v1::CYCLE_STAGE_TRAINING) return;
      const v1::ModelReady& m = e.model_ready();
      if (Status s = CheckArtifact("model " + m.version(), m.uri(), m.sha256()); !s.ok()) {
        FinishCycle(v1::CYCLE_STAGE_ABORTED, "training produced a bad artifact: " + s.message());
        return;
      }
      store::ModelRow row;
      row.version = c.candidate.version;
      row.parent = c.incumbent.version;
      row.uri = m.uri();
      row.sha256 = m.sha256();
      row.status = "candidate";
      row.metrics_json = m.metrics_json().empty() ? "{}" : m.metrics_json();
      row.created_ms = WallMs();
      Write([&] { return store_->PutModel(row); }, "the model row of the candidate " + row.version);
      c.candidate = {row.version, row.uri, row.sha256};
      if (m.has_llm_usage()) c.AddLlmUsage(stage, m.llm_usage());
      event.mutable_model_ready()->set_version(row.version);
      Written(journal_->Record("model", in.identity, "training", &event), "the candidate's journal event");
      Transition(v1::CYCLE_STAGE_EVALUATING, "candidate " + row.version + " registered (parent " + row.parent + ")");
      SendStageRequest();
      return;
    }
    case bus::Envelope::kEvalReport: {
      if (c.stage != v1::CYCLE_STAGE_EVALUATING) return;
      const v1::EvalReport& r = e.eval_report();
      c.evaluation = ToJson(r);
      if (r.has_llm_usage()) c.AddLlmUsage(stage, r.llm_usage());
      Written(journal_->Record("eval_report", in.identity, "evaluation", &event), "the report's journal event");
      if (auto m = store_->GetModel(c.candidate.version); !m.ok() || !*m) {
        Written(m.ok() ? Status::NotFound("no model row") : m.status(), "reading the candidate " + c.candidate.version);
      } else {
        store::ModelRow row = **m;
        json metrics = json::parse(row.metrics_json, nullptr, false);
        if (!metrics.is_object()) metrics = json::object();
        metrics["evaluation"] = c.evaluation;
        row.metrics_json = metrics.dump();
        if (!r.pass()) row.status = "rejected";
        Write([&] { return store_->PutModel(row); }, "the model row of the candidate " + row.version);
      }
      if (r.pass()) {
        Transition(v1::CYCLE_STAGE_ROLLING_OUT, "evaluation passed: " + r.verdict());
        BeginRollout();
        return;
      }
      const int max_replans =
          manifest_.spec.at("planning").value("max_replans", config::SchemaDefault("spec.planning.max_replans").get<int>());
      if (c.attempt <= max_replans) {
        ++c.attempt;
        Transition(v1::CYCLE_STAGE_PLANNING,
                   "evaluation failed: " + r.verdict() + "; replanning (attempt " + std::to_string(c.attempt) + ")");
        SendStageRequest();
      } else {
        FinishCycle(v1::CYCLE_STAGE_ABORTED, "evaluation failed: " + r.verdict() + "; no replans left");
      }
      return;
    }
    case bus::Envelope::kRolloutDecision: {
      if (c.stage != v1::CYCLE_STAGE_ROLLING_OUT) return;
      const v1::RolloutDecision& d = e.rollout_decision();
      c.decision = ToJson(d);
      Written(journal_->Record("rollout", in.identity, "deployment", &event), "the rollout decision's journal event");
      const json& deployment = manifest_.spec.contains("deployment") ? manifest_.spec["deployment"] : json::object();
      if (d.outcome() == v1::RolloutDecision::PROMOTE &&
          deployment.value("require_approval", config::SchemaDefault("spec.deployment.require_approval").get<bool>())) {
        // The A/B split stays as it is while a person decides.
        Transition(v1::CYCLE_STAGE_AWAITING_APPROVAL, "promotion needs a human approval: " + d.reason());
        RequestApproval("promotion", "promote " + c.candidate.version + " over " + c.incumbent.version + ": " +
                                         d.reason());
        return;
      }
      FinishCycle(d.outcome() == v1::RolloutDecision::PROMOTE ? v1::CYCLE_STAGE_PROMOTED : v1::CYCLE_STAGE_ROLLED_BACK,
                  d.reason());
      return;
    }
    default:
      return;
  }
}

void Runtime::BeginRollout() {
  cycle::CycleRecord& c = *cycle_;
  assigned_[worker_id_] = c.candidate;  // a restarted worker comes back with the candidate
  const std::string cycle_id = c.id;
  SendCommand(worker_id_, v1::Command::RELOAD_MODEL, c.candidate.ToJson().dump(), "rollout of " + c.candidate.version,
              [this, cycle_id](const bus::Envelope& reply) {
                if (!cycle_ || cycle_->id != cycle_id || cycle_->stage != v1::CYCLE_STAGE_ROLLING_OUT) return;
                DecisionScope decision(*this, "candidate_loaded");
                if (reply.body_case() == bus::Envelope::kError) {
                  FinishCycle(v1::CYCLE_STAGE_ROLLED_BACK, "the candidate does not load: " + reply.error().message());
                  return;
                }
                if (cycle_->during_improvement != "clone") {
                  // No clone to compare against: the evaluation decides.
                  FinishCycle(v1::CYCLE_STAGE_PROMOTED, "promoted on the evaluation (during_improvement: pause)");
                  return;
                }
                Then([this] { traffic_.SetSplit(cycle_->incumbent_worker, cycle_->candidate_worker, 0); });
                SendCommand(worker_id_, v1::Command::SERVE, "", "A/B test of " + cycle_->candidate.version);
                rollout_ready_ = true;
                SendStageRequest();
              });
}

void Runtime::OnTrafficSplit(const bus::Broker::Incoming& in) {
  const auto& ts = in.envelope.traffic_split();
  if (cycle_->stage != v1::CYCLE_STAGE_ROLLING_OUT || !rollout_ready_) {  // the cycle's own: checked before dispatch
    ReplyError(in, v1::Error::BAD_REQUEST, "no rollout is running for cycle '" + in.envelope.cycle_id() + "'");
    return;
  }
  DecisionScope decision(*this, "traffic");
  cycle_->candidate_weight = ts.candidate_weight();
  bus::Envelope event = in.envelope;
  event.set_recipient("");
  Written(journal_->Record("traffic", in.identity, "deployment", &event), "the split's journal event");
  PersistCycle();
  if (!decision.End()) {
    ReplyError(in, v1::Error::INTERNAL, "the split could not be recorded; it stays as it was");
    return;
  }
  traffic_.SetSplit(cycle_->incumbent_worker, cycle_->candidate_worker, ts.candidate_weight());
  RecordClusterEvent("traffic", traffic_.Describe() + (ts.reason().empty() ? "" : ": " + ts.reason()));
}

void Runtime::FinishCycle(v1::CycleStage outcome, const std::string& reason) {
  if (!cycle_ || cycle_->finished()) return;
  // The outcome, the cycle row and the registry rows commit together: a
  // crash never leaves a cycle promoted while the registry serves the old version.
  DecisionScope decision(*this, cycle::StageName(outcome));
  NameDecision(cycle::StageName(outcome));
  cycle::CycleRecord& c = *cycle_;
  auto set_status = [this](const std::string& version, const std::string& status) {
    if (version.empty()) return;
    auto m = store_->GetModel(version);
    if (!m.ok() || !*m) {
      Written(m.ok() ? Status::NotFound("no model row") : m.status(), "reading model " + version);
      return;
    }
    store::ModelRow row = **m;
    row.status = status;
    Write([&] { return store_->PutModel(row); }, "model " + version + " as " + status);
  };
  Transition(outcome, reason);
  if (outcome == v1::CYCLE_STAGE_PROMOTED) {
    set_status(c.candidate.version, "serving");
    set_status(c.incumbent.version, "retired");
    serving_ = c.candidate;
    assigned_[worker_id_] = c.candidate;
    Then([this] {
      traffic_.SetSingle(worker_id_);
      // A promotion approved after a runtime restart finds the worker without the candidate.
      const AgentEntry& w = agents_.at(worker_id_);
      if (w.connected && w.model_version != serving_.version) {
        SendCommand(worker_id_, v1::Command::RELOAD_MODEL, serving_.ToJson().dump(), "promoted " + serving_.version);
      }
      SendCommand(worker_id_, v1::Command::SERVE, "", "serving " + serving_.version);
      DrainClone();
    });
    return;
  }
  // Rolled back or aborted: the incumbent stays. The clone (if there is one)
  // keeps all traffic until the worker serves the incumbent again; CycleTick
  // then moves traffic back and drains the clone.
  if (outcome == v1::CYCLE_STAGE_ROLLED_BACK) set_status(c.candidate.version, "rolled_back");
  if (outcome == v1::CYCLE_STAGE_ABORTED) {
    auto m = store_->GetModel(c.candidate.version);
    if (m.ok() && *m && (*m)->status == "candidate") set_status(c.candidate.version, "rejected");
  }
  assigned_[worker_id_] = c.incumbent;
  Then([this] {
    if (CanServe(clone_id_)) traffic_.SetSingle(clone_id_);
    const AgentEntry& worker = agents_.at(worker_id_);
    if (!worker.connected) return;  // it gets the incumbent when it registers again
    const cycle::ModelRef& incumbent = cycle_->incumbent;
    if (worker.model_version != incumbent.version) {
      SendCommand(worker_id_, v1::Command::RELOAD_MODEL, incumbent.ToJson().dump(), "back to " + incumbent.version);
    }
    SendCommand(worker_id_, v1::Command::SERVE, "", "serving " + incumbent.version);
  });
}

void Runtime::OnApprovalDecision(const bus::Broker::Incoming& in) {
  const auto& d = in.envelope.approval_decision();
  if (!cycle_ || cycle_->stage != v1::CYCLE_STAGE_AWAITING_APPROVAL) {
    ReplyError(in, v1::Error::BAD_REQUEST,
               "nothing is waiting for an approval" +
                   (cycle_ ? " (cycle " + cycle_->id + " is at " + cycle::StageName(cycle_->stage) + ")"
                           : std::string(" (no cycle has run)")));
    return;
  }
  if (d.request_id() != cycle_->id) {
    ReplyError(in, v1::Error::BAD_REQUEST,
               "no approval '" + d.request_id() + "' is waiting; waiting: " + cycle_->id + " (" +
                   (AwaitingPromotion() ? "promotion" : "plan") + ")");
    return;
  }
  // Who decided: the bus identity, and the person the client names (the CLI sends $USER).
  std::string who = in.identity;
  if (!d.decided_by().empty() && d.decided_by() != in.identity) who = d.decided_by() + " (" + in.identity + ")";
  const std::string subject = AwaitingPromotion() ? "promotion" : "plan";
  bus::Envelope event = in.envelope;
  event.set_recipient("");
  event.set_cycle_id(cycle_->id);
  event.mutable_approval_decision()->set_decided_by(who);
  DecisionScope decision(*this, "approval");
  Written(journal_->Record("approval_decision", in.identity, "", &event), "the approval's journal event");
  bus::Envelope ack = bus::MakeReply(in.envelope, kRuntimeId);
  ack.mutable_ack()->set_detail(std::string(d.approved() ? "approved" : "rejected") + " the " + subject + " of cycle " +
                                cycle_->id);
  // With CURVE, the role of the key it came with, too (decided_by stays the bus identity's person).
  DecideApproval(d.approved(), subject + (d.approved() ? " approved by " : " rejected by ") + who +
                                   (in.auth_role.empty() ? "" : " [key role " + in.auth_role + "]") +
                                   (d.reason().empty() ? "" : ": " + d.reason()));
  if (!decision.End()) {
    ReplyError(in, v1::Error::INTERNAL, "the decision could not be recorded, so it was not made (see the runtime log)");
    return;
  }
  broker_->Send(in.identity, ack);
}

// ---- status and summary ----------------------------------------------------

json Runtime::CycleStatusJson() const {
  if (!cycle_) return nullptr;
  const cycle::CycleRecord& c = *cycle_;
  json j = {{"id", c.id},
            {"stage", cycle::StageName(c.stage)},
            {"attempt", c.attempt},
            {"trigger", c.trigger.value("policy", "")},
            {"incumbent", c.incumbent.version},
            {"candidate", c.candidate.version},
            {"teacher_calls", c.teacher_calls},
            {"teacher_cost", c.teacher_cost},
            {"llm_usage", c.llm_usage},
            {"traffic", traffic_.Describe()}};
  if (c.stage == v1::CYCLE_STAGE_TRAINING) j["progress"] = training_progress_;
  if (c.stage == v1::CYCLE_STAGE_AWAITING_APPROVAL) {
    // What an operator needs to decide: `kaizen approve|reject <id> --reason ...`.
    json a = {{"id", c.id}, {"subject", AwaitingPromotion() ? "promotion" : "plan"}};
    if (!c.approval.empty()) {
      a["summary"] = c.approval.value("summary", "");
      a["expires_ms"] = c.approval.value("expires_ms", int64_t{0});
    }
    a["timeout_policy"] = ApprovalSection().value(
        "approval_timeout_policy",
        config::SchemaDefault(std::string("spec.") + (AwaitingPromotion() ? "deployment" : "planning") +
                              ".approval_timeout_policy")
            .get<std::string>());
    j["approval"] = a;
  }
  if (c.finished()) j["outcome_reason"] = c.outcome_reason;
  return j;
}

json Runtime::Summary() const {
  json cycles = json::array();
  for (const auto& id : cycle_ids_) {
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
                      {"evaluation",
                       {{"candidate_accuracy", c.evaluation.value("candidate_accuracy", 0.0)},
                        {"incumbent_accuracy", c.evaluation.value("incumbent_accuracy", 0.0)},
                        {"verdict", c.evaluation.value("verdict", "")}}},
                      {"rollout", c.decision}});
    // What the trainer reported, e.g. the prompt search's baseline and candidate validation scores.
    if (auto m = store_->GetModel(c.candidate.version); !c.candidate.version.empty() && m.ok() && *m) {
      json metrics = json::parse((*m)->metrics_json, nullptr, false);
      if (metrics.is_object()) {
        json t = {{"backend", metrics.value("backend", "")}};
        for (const char* k : {"baseline_score", "candidate_score", "best", "validation_rows", "wall_seconds", "cost"}) {
          if (metrics.contains(k)) t[k] = metrics[k];
        }
        cycles.back()["training"] = t;
      }
    }
  }
  json summary = {{"cluster", manifest_.name}, {"cycles", cycles}, {"serving", serving_.version}};
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
