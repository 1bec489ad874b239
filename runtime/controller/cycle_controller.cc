#include "runtime/controller/cycle_controller.h"

#include <cmath>
#include <cstdio>

#include <google/protobuf/util/json_util.h>
#include <spdlog/spdlog.h>

#include "runtime/base/sha256.h"
#include "runtime/controller/candidate_bounds.h"

namespace kaizen::controller {
namespace {

using json = nlohmann::json;

json ToJson(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::util::JsonPrintOptions o;
  o.preserve_proto_field_names = true;
  o.always_print_primitive_fields = true;
  if (!google::protobuf::util::MessageToJsonString(m, &out, o).ok()) return json::object();
  return json::parse(out, nullptr, false);
}

std::string Fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

// A message as a journal event: a copy without its recipient.
Event AsEvent(const std::string& kind, const std::string& agent, const std::string& role, const bus::Envelope& e) {
  Event ev{kind, agent, role, e};
  ev.envelope.set_recipient("");
  return ev;
}

Event ClusterEventOf(const std::string& what, const std::string& detail) {
  bus::Envelope e = bus::MakeEnvelope(kRuntimeSender, "");
  e.mutable_cluster_event()->set_what(what);
  e.mutable_cluster_event()->set_detail(detail);
  return {"cluster", "", "", e};
}

}  // namespace

CycleController::CycleController(CycleHost& host, CycleSettings settings) : host_(host), settings_(std::move(settings)) {}

void CycleController::Load(const cycle::ModelRef& serving, std::vector<cycle::CycleRecord> cycles) {
  serving_ = serving;
  for (auto& c : cycles) {
    started_ms_.push_back(c.created_ms);
    if (!cycle_ || cycle_->finished()) cycle_ = std::move(c);
  }
  if (running()) {
    resumed_ = true;
    cycle_ids_.push_back(cycle_->id);
  }
}

const std::string& CycleController::outstanding_request() const {
  static const std::string kNone;
  return running() ? cycle_->request.id : kNone;
}

bool CycleController::AwaitingPromotion() const {
  // A promotion waits with the deployment's decision in hand; a plan before it.
  return cycle_ && cycle_->stage == v1::CYCLE_STAGE_AWAITING_APPROVAL && !cycle_->decision.empty();
}

const ApprovalSettings& CycleController::Approval(bool promotion) const {
  return promotion ? settings_.promotion_approval : settings_.plan_approval;
}

// ---- decisions ---------------------------------------------------------------

CycleController::Pending CycleController::Begin(const std::string& what) const {
  Pending p;
  p.decision.what = what;
  p.decision.cycle = cycle_;
  return p;
}

Status CycleController::Enter(Pending& p, v1::CycleStage to, const std::string& reason) const {
  cycle::CycleRecord& c = *p.decision.cycle;
  const v1::CycleStage from = c.stages.empty() ? v1::CYCLE_STAGE_UNSPECIFIED : c.stage;
  if (from != v1::CYCLE_STAGE_UNSPECIFIED && !cycle::TransitionAllowed(from, to)) {
    return Status::FailedPrecondition("cycle " + c.id + ": " + cycle::StageName(from) + " -> " + cycle::StageName(to) +
                                      " is not a transition of the cycle");
  }
  c.Enter(to, host_.NowMs());
  if (cycle::IsTerminal(to)) c.outcome_reason = reason;
  // A new stage waits on nothing yet; Reconcile sends its request.
  c.request = {};
  c.approval = json::object();
  c.phase = to == v1::CYCLE_STAGE_ROLLING_OUT ? kPhaseLoadingCandidate : "";
  bus::Envelope e = bus::MakeEnvelope(kRuntimeSender, "");
  e.set_cycle_id(c.id);
  auto* ct = e.mutable_cycle_transition();
  ct->set_cycle_id(c.id);
  ct->set_from(from);
  ct->set_to(to);
  ct->set_reason(reason);
  p.decision.events.push_back({"cycle_transition", "", "cycle", e});
  p.entered.push_back({from, to, reason});
  return Status::OK();
}

void CycleController::AskApproval(Pending& p, const std::string& subject, const std::string& summary) const {
  cycle::CycleRecord& c = *p.decision.cycle;
  const ApprovalSettings& a = Approval(subject == "promotion");
  bus::Envelope req = bus::MakeEnvelope(kRuntimeSender, "");
  req.set_cycle_id(c.id);
  auto* ar = req.mutable_approval_request();
  ar->set_request_id(c.id);  // the id operators see in `kaizen status` and `kaizen logs`
  ar->set_subject(subject);
  ar->set_summary(summary);
  if (a.policy != TimeoutPolicy::kWait) ar->set_expires_ms(host_.NowMs() + a.timeout_s * 1000);
  c.approval = {{"subject", subject}, {"summary", summary}, {"expires_ms", ar->expires_ms()}};
  c.phase = subject == "promotion" ? kPhasePromotionApproval : kPhasePlanApproval;
  p.decision.events.push_back({"approval_request", "", "cycle", req});
}

Status CycleController::Finish(Pending& p, v1::CycleStage outcome, const std::string& reason) const {
  if (Status s = Enter(p, outcome, reason); !s.ok()) return s;
  p.decision.what = cycle::StageName(outcome);
  const cycle::CycleRecord& c = *p.decision.cycle;
  // The registry rows of the outcome, in the same transaction as the cycle's.
  using store::ModelStatus;
  auto set_status = [&](const std::string& version, ModelStatus status, std::optional<ModelStatus> only_from) {
    if (version.empty()) return;
    auto m = host_.Model(version);
    if (!m.ok()) {
      if (p.failed.ok()) p.failed = m.status().WithContext("reading " + version);
      return;
    }
    if (!*m) return;  // a candidate that was never registered (its training failed): nothing to mark
    store::ModelRow row = **m;
    if (only_from && row.status != *only_from) return;
    row.status = status;
    p.decision.models.push_back(row);
  };
  const std::string worker = settings_.worker_id, clone = settings_.clone_id;
  if (outcome == v1::CYCLE_STAGE_PROMOTED) {
    set_status(c.candidate.version, ModelStatus::kServing, std::nullopt);
    set_status(c.incumbent.version, ModelStatus::kRetired, std::nullopt);
    p.serving = c.candidate;
    const cycle::ModelRef candidate = c.candidate;
    p.effects.push_back([this, worker, candidate] {
      host_.Assign(worker, candidate);
      host_.Traffic().SetSingle(worker);
      // A promotion approved after a runtime restart finds the worker without the candidate.
      const AgentView w = host_.Agent(worker);
      if (w.connected && w.model_version != candidate.version) {
        host_.Command(worker, v1::Command::RELOAD_MODEL, candidate.ToJson().dump(), "promoted " + candidate.version);
      }
      host_.Command(worker, v1::Command::SERVE, "", "serving " + candidate.version);
      host_.DrainClone();
    });
    return Status::OK();
  }
  // Rolled back or aborted: the incumbent stays. The clone (if there is one)
  // keeps all traffic until the worker serves the incumbent again; then
  // Reconcile moves traffic back and drains the clone.
  if (outcome == v1::CYCLE_STAGE_ROLLED_BACK) set_status(c.candidate.version, ModelStatus::kRolledBack, std::nullopt);
  if (outcome == v1::CYCLE_STAGE_ABORTED) {
    set_status(c.candidate.version, ModelStatus::kRejected, ModelStatus::kCandidate);
  }
  const cycle::ModelRef incumbent = c.incumbent;
  p.effects.push_back([this, worker, clone, incumbent] {
    host_.Assign(worker, incumbent);
    if (host_.Agent(clone).can_serve) host_.Traffic().SetSingle(clone);
    const AgentView w = host_.Agent(worker);
    if (!w.connected) return;  // it gets the incumbent when it registers again
    if (w.model_version != incumbent.version) {
      host_.Command(worker, v1::Command::RELOAD_MODEL, incumbent.ToJson().dump(), "back to " + incumbent.version);
    }
    host_.Command(worker, v1::Command::SERVE, "", "serving " + incumbent.version);
  });
  return Status::OK();
}

Status CycleController::Decide(Pending& p, bool approved, const std::string& why) const {
  const bool promotion = !p.decision.cycle->decision.empty();
  if (promotion) return Finish(p, approved ? v1::CYCLE_STAGE_PROMOTED : v1::CYCLE_STAGE_ROLLED_BACK, why);
  if (approved) return Enter(p, v1::CYCLE_STAGE_GENERATING_DATA, why);
  return Finish(p, v1::CYCLE_STAGE_ABORTED, why);
}

bool CycleController::Apply(Pending p, bool is_abort) {
  Status s = p.failed.ok() ? host_.Commit(p.decision) : p.failed;
  if (s.ok()) {
    const bool new_cycle = p.decision.cycle && (!cycle_ || cycle_->id != p.decision.cycle->id);
    if (p.decision.cycle) cycle_ = std::move(*p.decision.cycle);
    if (new_cycle) cycle_ids_.push_back(cycle_->id);
    if (p.serving) serving_ = *p.serving;
    for (const auto& e : p.entered) host_.Entered(*cycle_, e.from, e.to, e.reason);
    for (auto& effect : p.effects) effect();
    return true;
  }
  // Nothing of it happened: this controller still holds what the store holds.
  const std::string why =
      "the decision '" + p.decision.what + "' could not be recorded, so it was not made: " + s.ToString();
  host_.DecisionFailed(p.decision.what, why);
  if (!is_abort && running()) {
    // A stated end rather than a cycle stuck at a stage nobody will answer again.
    Pending abort = Begin("aborted");
    if (Finish(abort, v1::CYCLE_STAGE_ABORTED, why).ok() && !Apply(std::move(abort), true)) {
      spdlog::error("cycle {} stays at {}: its abort could not be recorded either; the store needs attention "
                    "(disk full? see `kaizen fsck`)",
                    cycle_->id, cycle::StageName(cycle_->stage));
    }
  }
  return false;
}

Status CycleController::ReplanOrAbort(Pending& p, const std::string& why) const {
  cycle::CycleRecord& c = *p.decision.cycle;
  if (c.attempt <= settings_.max_replans) {
    ++c.attempt;
    return Enter(p, v1::CYCLE_STAGE_PLANNING, why + "; replanning (attempt " + std::to_string(c.attempt) + ")");
  }
  return Finish(p, v1::CYCLE_STAGE_ABORTED, why + "; no replans left");
}

// ---- observations ------------------------------------------------------------

std::string CycleController::OnTrigger(const bus::Envelope& in, const std::string& from, bool stopping) {
  const v1::Trigger& t = in.trigger();
  bus::Envelope event = bus::MakeEnvelope(kRuntimeSender, "");
  *event.mutable_trigger() = t;
  std::string ignored;
  if (stopping) ignored = "the cluster is stopping";
  else if (running()) ignored = "cycle " + cycle_->id + " is still running";
  else if (serving_.empty()) ignored = "no model serves yet";
  else if (Status b = safety::CheckCyclesPerDay(settings_.bounds, started_ms_, host_.NowMs()); !b.ok())
    ignored = b.message();
  if (!ignored.empty()) {
    host_.JournalEvent({"trigger", from, "monitoring", event});
    spdlog::info("trigger from {} ({}) ignored: {}", from, t.policy(), ignored);
    return ignored;
  }
  Pending p = Begin("trigger");
  cycle::CycleRecord c;
  c.id = host_.NextCycleId();
  c.created_ms = host_.NowMs();
  started_ms_.push_back(c.created_ms);
  c.trigger = ToJson(t);
  c.incumbent = serving_;
  const bool clone = settings_.during_improvement == DuringImprovement::kClone;
  c.during_improvement = clone ? "clone" : "pause";
  c.incumbent_worker = clone ? settings_.clone_id : settings_.worker_id;
  c.candidate_worker = settings_.worker_id;
  p.decision.cycle = c;
  event.set_cycle_id(c.id);
  p.decision.events.push_back({"trigger", from, "monitoring", event});
  Status s = Enter(p, v1::CYCLE_STAGE_TRIGGERED, t.policy() + ": " + t.reason());
  if (s.ok()) s = Enter(p, v1::CYCLE_STAGE_PLANNING, "asking planning how to improve " + c.incumbent.version);
  if (!s.ok()) return s.message();
  if (!clone) {
    // pause: tasks wait in the router's queue while the worker improves.
    const std::string worker = settings_.worker_id;
    p.effects.push_back([this, worker] {
      host_.Command(worker, v1::Command::IMPROVE, "", "paused while improving (during_improvement: pause)");
    });
  }
  clone_started_ = false;
  if (!Apply(std::move(p))) return "the trigger could not be recorded";
  return "";
}

void CycleController::RegisterTools(const bus::Envelope& e, const std::string& from) {
  Decision d;
  d.what = "tool";
  d.cycle = *cycle_;  // unchanged: names the cycle in the journal and the audit trail
  for (const v1::ToolRecord& t : e.train_progress().tools()) {
    // A file that is not what training says it wrote is not registered.
    if (Status bad = CheckArtifactHash("tool " + t.name(), t.uri(), t.sha256()); !bad.ok()) {
      host_.DecisionFailed("tool", bad.message());
      continue;
    }
    store::ToolRow row;
    row.name = t.name();
    row.spec_sha256 = t.spec_sha256();
    row.uri = t.uri();
    row.sha256 = t.sha256();
    row.status = t.accepted() ? "accepted" : "rejected";
    row.reason = t.reason();
    row.cycle = cycle_->id;
    row.created_ms = host_.NowMs();
    d.tools.push_back(std::move(row));
  }
  if (d.tools.empty()) return;
  d.events.push_back(AsEvent("train_progress", from, "training", e));
  if (Status s = host_.Commit(d); !s.ok()) host_.DecisionFailed("tool", s.message());
}

void CycleController::OnStageReply(const bus::Envelope& e, const std::string& from) {
  if (!running()) return;
  const cycle::CycleRecord& now = *cycle_;
  if (e.body_case() == bus::Envelope::kTrainProgress) {
    if (now.stage != v1::CYCLE_STAGE_TRAINING) return;
    if (e.train_progress().tools_size() > 0) {
      RegisterTools(e, from);
    } else {
      host_.JournalEvent(AsEvent("train_progress", from, "training", e));
    }
    training_progress_ = e.train_progress().fraction();
    if (e.train_progress().has_llm_usage()) failed_training_usage_ = e.train_progress().llm_usage();
    return;
  }
  if (e.correlation_id().empty() || e.correlation_id() != now.request.id) {
    spdlog::info("dropped a stale {} from {} (answers an earlier request)", bus::BodyName(e), from);
    return;
  }
  const std::string stage = cycle::StageName(now.stage);
  Pending p = Begin(bus::BodyName(e));
  cycle::CycleRecord& c = *p.decision.cycle;
  Status s;
  switch (e.body_case()) {
    case bus::Envelope::kError:
      if (c.stage == v1::CYCLE_STAGE_TRAINING && failed_training_usage_) {
        c.AddLlmUsage(stage, *failed_training_usage_);
        p.effects.push_back([this] { failed_training_usage_.reset(); });
      }
      s = Finish(p, v1::CYCLE_STAGE_ABORTED, stage + " failed in " + from + ": " + e.error().message());
      break;
    case bus::Envelope::kPlan: {
      if (c.stage != v1::CYCLE_STAGE_PLANNING) return;
      const v1::Plan& plan = e.plan();
      c.plan = ToJson(plan);
      if (plan.has_llm_usage()) c.AddLlmUsage(stage, plan.llm_usage());
      p.decision.events.push_back(AsEvent("plan", from, "planning", e));
      // Planning checked its bounds; a planner that erred does not get past
      // them here. Its plan is refused and planning asked again while
      // replans are left.
      if (Status b = CheckPlanBounds(settings_.bounds, plan, settings_.training_backend); !b.ok()) {
        s = ReplanOrAbort(p, "the plan is outside the bounds: " + b.message());
        break;
      }
      std::string what = plan.strategy() + ", " + std::to_string(plan.teacher_calls()) + " teacher calls by " +
                         plan.teacher() + " (" + plan.selection_policy() + ")";
      for (const auto& b : plan.bound_actions()) what += "; " + b;
      // The runtime scores the plan itself: a planner that says no person is
      // needed does not decide that alone.
      const safety::Significance sig = safety::ScorePlan(plan, settings_.approval_limits, settings_.training_backend,
                                                         settings_.replay_fraction);
      const bool needs_person = safety::NeedsApproval(sig, settings_.approval_limits);
      what += "; significance " + (std::isfinite(sig.score) ? Fixed(sig.score, 2) : std::string("unbounded")) + " (" +
              sig.why + ")";
      if (needs_person && !plan.needs_approval()) {
        what += "; above planning.auto_approve.max_significance " + Fixed(settings_.approval_limits.max_significance, 2) +
                " by the runtime's score, though planning did not ask for a person";
      }
      if (plan.needs_approval() || needs_person) {
        s = Enter(p, v1::CYCLE_STAGE_AWAITING_APPROVAL, "plan needs a human approval: " + what);
        if (s.ok()) AskApproval(p, "plan", what + ". " + plan.rationale());
      } else {
        s = Enter(p, v1::CYCLE_STAGE_GENERATING_DATA, "plan: " + what);
      }
      break;
    }
    case bus::Envelope::kDatasetReady: {
      if (c.stage != v1::CYCLE_STAGE_GENERATING_DATA) return;
      const v1::DatasetReady& d = e.dataset_ready();
      if (Status bad = CheckArtifactHash("dataset " + d.dataset_id(), d.uri(), d.sha256()); !bad.ok()) {
        s = Finish(p, v1::CYCLE_STAGE_ABORTED, "generating_data produced a bad artifact: " + bad.message());
        break;
      }
      store::DatasetRow row;
      row.id = d.dataset_id();
      row.uri = d.uri();
      row.sha256 = d.sha256();
      row.rows = d.train_rows() + d.validation_rows();
      row.provenance_json = d.provenance_json().empty() ? "{}" : d.provenance_json();
      row.created_ms = host_.NowMs();
      p.decision.datasets.push_back(row);
      c.dataset = {{"id", d.dataset_id()},       {"uri", d.uri()},
                   {"sha256", d.sha256()},       {"train_rows", d.train_rows()},
                   {"validation_rows", d.validation_rows()}};
      c.teacher_calls += d.teacher_calls();
      if (d.has_llm_usage()) c.AddLlmUsage(stage, d.llm_usage());
      c.teacher_cost += d.teacher_cost();
      p.decision.events.push_back(AsEvent("dataset", from, "datagen", e));
      auto version = host_.NextModelVersion();
      if (!version.ok()) {
        // A version named from a registry that could not be read could overwrite a row.
        p.failed = version.status().WithContext("naming the candidate");
        break;
      }
      c.candidate = {*version, "", ""};
      s = Enter(p, v1::CYCLE_STAGE_TRAINING,
                "dataset " + d.dataset_id().substr(0, 12) + ": " + std::to_string(d.train_rows()) + " train / " +
                    std::to_string(d.validation_rows()) + " validation rows, " + std::to_string(d.teacher_calls()) +
                    " teacher calls ($" + Fixed(d.teacher_cost(), 2) + ")");
      p.effects.push_back([this] { training_progress_ = 0; });
      break;
    }
    case bus::Envelope::kModelReady: {
      if (c.stage != v1::CYCLE_STAGE_TRAINING) return;
      const v1::ModelReady& m = e.model_ready();
      if (Status bad = CheckArtifactHash("model " + m.version(), m.uri(), m.sha256()); !bad.ok()) {
        s = Finish(p, v1::CYCLE_STAGE_ABORTED, "training produced a bad artifact: " + bad.message());
        break;
      }
      store::ModelRow row;
      row.version = c.candidate.version;
      row.parent = c.incumbent.version;
      row.uri = m.uri();
      row.sha256 = m.sha256();
      row.status = store::ModelStatus::kCandidate;
      row.metrics_json = m.metrics_json().empty() ? "{}" : m.metrics_json();
      row.created_ms = host_.NowMs();
      p.decision.models.push_back(row);
      c.candidate = {row.version, row.uri, row.sha256};
      if (m.has_llm_usage()) c.AddLlmUsage(stage, m.llm_usage());
      Event ev = AsEvent("model", from, "training", e);
      ev.envelope.mutable_model_ready()->set_version(row.version);
      p.decision.events.push_back(std::move(ev));
      // Training stayed within the bounds; a trainer that erred (a user's
      // command, a bug) does not get its candidate evaluated.
      const CandidateBounds checked =
          CheckCandidateBounds(settings_.bounds, row.uri, row.metrics_json, c.incumbent, anchor_);
      const std::string measured = checked.measured.empty() ? "" : "; it " + checked.measured;
      if (!checked.status.ok()) {
        p.decision.models.back().status = store::ModelStatus::kRejected;
        s = ReplanOrAbort(p, "candidate " + row.version + " is outside the bounds: " + checked.status.message());
        break;
      }
      s = Enter(p, v1::CYCLE_STAGE_EVALUATING,
                "candidate " + row.version + " registered (parent " + row.parent + ")" + measured);
      break;
    }
    case bus::Envelope::kEvalReport: {
      if (c.stage != v1::CYCLE_STAGE_EVALUATING) return;
      const v1::EvalReport& r = e.eval_report();
      c.evaluation = ToJson(r);
      if (r.has_llm_usage()) c.AddLlmUsage(stage, r.llm_usage());
      p.decision.events.push_back(AsEvent("eval_report", from, "evaluation", e));
      if (auto m = host_.Model(c.candidate.version); !m.ok() || !*m) {
        p.failed = (m.ok() ? Status::NotFound("no model row") : m.status()).WithContext("reading the candidate " +
                                                                                         c.candidate.version);
      } else {
        store::ModelRow row = **m;
        json metrics = json::parse(row.metrics_json, nullptr, false);
        if (!metrics.is_object()) metrics = json::object();
        metrics["evaluation"] = c.evaluation;
        row.metrics_json = metrics.dump();
        if (!r.pass()) row.status = store::ModelStatus::kRejected;
        p.decision.models.push_back(row);
      }
      if (r.pass()) {
        s = Enter(p, v1::CYCLE_STAGE_ROLLING_OUT, "evaluation passed: " + r.verdict());
      } else {
        s = ReplanOrAbort(p, "evaluation failed: " + r.verdict());
      }
      break;
    }
    case bus::Envelope::kRolloutDecision: {
      if (c.stage != v1::CYCLE_STAGE_ROLLING_OUT) return;
      const v1::RolloutDecision& d = e.rollout_decision();
      c.decision = ToJson(d);
      p.decision.events.push_back(AsEvent("rollout", from, "deployment", e));
      if (d.outcome() == v1::RolloutDecision::PROMOTE && settings_.require_approval) {
        // The A/B split stays as it is while a person decides.
        s = Enter(p, v1::CYCLE_STAGE_AWAITING_APPROVAL, "promotion needs a human approval: " + d.reason());
        if (s.ok()) {
          AskApproval(p, "promotion",
                      "promote " + c.candidate.version + " over " + c.incumbent.version + ": " + d.reason());
        }
      } else {
        s = Finish(p,
                   d.outcome() == v1::RolloutDecision::PROMOTE ? v1::CYCLE_STAGE_PROMOTED
                                                                : v1::CYCLE_STAGE_ROLLED_BACK,
                   d.reason());
      }
      break;
    }
    default:
      return;
  }
  if (!s.ok()) {
    spdlog::error("{} from {} refused: {}", bus::BodyName(e), from, s.ToString());
    return;
  }
  Apply(std::move(p));
}

Status CycleController::OnApproval(const Event& decision_event, bool approved, const std::string& why) {
  if (!cycle_ || cycle_->stage != v1::CYCLE_STAGE_AWAITING_APPROVAL) {
    return Status::FailedPrecondition("nothing is waiting for an approval");
  }
  Pending p = Begin("approval");
  p.decision.events.push_back(decision_event);
  if (Status s = Decide(p, approved, why); !s.ok()) return s;
  if (!Apply(std::move(p))) return Status::Internal("the decision could not be recorded, so it was not made");
  return Status::OK();
}

Status CycleController::OnOperatorEnd(bool promote, const std::string& why) {
  if (!cycle_ || (cycle_->stage != v1::CYCLE_STAGE_ROLLING_OUT && !AwaitingPromotion())) {
    return Status::FailedPrecondition("no cycle is rolling out");
  }
  const std::string what = promote ? "operator_promote" : "operator_rollback";
  Pending p = Begin(what);
  p.decision.events.push_back(ClusterEventOf(what, why + " [cycle " + cycle_->id + "]"));
  if (Status s = Finish(p, promote ? v1::CYCLE_STAGE_PROMOTED : v1::CYCLE_STAGE_ROLLED_BACK, why); !s.ok()) return s;
  if (!Apply(std::move(p))) return Status::Internal("the decision could not be recorded, so it was not made");
  return Status::OK();
}

Status CycleController::OnTrafficSplit(const bus::Envelope& e, const std::string& from) {
  if (!running() || cycle_->stage != v1::CYCLE_STAGE_ROLLING_OUT || cycle_->phase != kPhaseAbTest ||
      host_.Agent(settings_.worker_id).epoch != cycle_->loaded_epoch) {
    return Status::FailedPrecondition("no rollout is running for cycle '" + e.cycle_id() + "'");
  }
  const auto& ts = e.traffic_split();
  Pending p = Begin("traffic");
  cycle::CycleRecord& c = *p.decision.cycle;
  c.candidate_weight = ts.candidate_weight();
  p.decision.events.push_back(AsEvent("traffic", from, "deployment", e));
  const std::string inc = c.incumbent_worker, cand = c.candidate_worker, reason = ts.reason();
  const double weight = ts.candidate_weight();
  p.effects.push_back([this, inc, cand, weight, reason] {
    host_.Traffic().SetSplit(inc, cand, weight);
    host_.ClusterEvent("traffic", host_.Traffic().Describe() + (reason.empty() ? "" : ": " + reason));
  });
  if (!Apply(std::move(p))) return Status::Internal("the split could not be recorded; it stays as it was");
  return Status::OK();
}

void CycleController::OnWorkerLost(const std::string& instance, const std::string& detail) {
  if (instance != settings_.worker_id || !running() || cycle_->stage != v1::CYCLE_STAGE_ROLLING_OUT) return;
  Pending p = Begin("candidate_lost");
  // A candidate that crashes or hangs under live traffic is not promoted.
  if (Finish(p, v1::CYCLE_STAGE_ROLLED_BACK,
             "the candidate " + cycle_->candidate.version + " " + detail + " during the A/B test; the clone keeps serving " +
                 cycle_->incumbent.version)
          .ok()) {
    Apply(std::move(p));
  }
}

void CycleController::OnCandidateLoaded(const std::string& cycle_id, int64_t epoch, const bus::Envelope& reply) {
  if (!running() || cycle_->id != cycle_id || cycle_->stage != v1::CYCLE_STAGE_ROLLING_OUT) return;
  if (host_.Agent(settings_.worker_id).epoch != epoch) return;  // a newer process: Reconcile loads it again
  Pending p = Begin("candidate_loaded");
  Status s;
  if (reply.body_case() == bus::Envelope::kError) {
    s = Finish(p, v1::CYCLE_STAGE_ROLLED_BACK, "the candidate does not load: " + reply.error().message());
  } else if (cycle_->during_improvement != "clone") {
    // No clone to compare against: the evaluation decides.
    s = Finish(p, v1::CYCLE_STAGE_PROMOTED, "promoted on the evaluation (during_improvement: pause)");
  } else {
    cycle::CycleRecord& c = *p.decision.cycle;
    c.phase = kPhaseAbTest;
    c.loaded_epoch = epoch;
    c.request = {};  // a new A/B test for this worker process
    c.candidate_weight = 0;
    const std::string inc = c.incumbent_worker, cand = c.candidate_worker, worker = settings_.worker_id;
    const std::string version = c.candidate.version;
    p.effects.push_back([this, inc, cand, worker, version] {
      host_.Traffic().SetSplit(inc, cand, 0);
      host_.Command(worker, v1::Command::SERVE, "", "A/B test of " + version);
    });
  }
  if (!s.ok()) {
    spdlog::error("the candidate's load answer refused: {}", s.ToString());
    return;
  }
  Apply(std::move(p));
}

// ---- status ----------------------------------------------------------------------

json CycleController::StatusJson() const {
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
            {"traffic", host_.Traffic().Describe()}};
  if (!c.phase.empty()) j["phase"] = c.phase;
  if (c.stage == v1::CYCLE_STAGE_TRAINING) j["progress"] = training_progress_;
  if (c.stage == v1::CYCLE_STAGE_AWAITING_APPROVAL) {
    // What an operator needs to decide: `kaizen approve|reject <id> --reason ...`.
    const bool promotion = AwaitingPromotion();
    json a = {{"id", c.id}, {"subject", promotion ? "promotion" : "plan"}};
    if (!c.approval.empty()) {
      a["summary"] = c.approval.value("summary", "");
      a["expires_ms"] = c.approval.value("expires_ms", int64_t{0});
    }
    a["timeout_policy"] = PolicyName(Approval(promotion).policy);
    j["approval"] = a;
  }
  if (c.finished()) j["outcome_reason"] = c.outcome_reason;
  return j;
}

}  // namespace kaizen::controller
