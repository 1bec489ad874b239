// CycleController: the reconcile (cycle_controller.h): what the desired
// state lacks is sent, once per agent process: the stage's request, the
// candidate to the worker, the clone and the traffic, an approval's verdict.
#include <google/protobuf/util/json_util.h>
#include <spdlog/spdlog.h>

#include "runtime/base/ids.h"
#include "runtime/controller/cycle_controller.h"

namespace kaizen::controller {
namespace {

using json = nlohmann::json;

// The cycle record keeps messages as JSON; one that does not parse back is
// read as empty (the record was written by this code from a valid message).
template <typename M>
M FromJson(const json& j) {
  M m;
  google::protobuf::util::JsonParseOptions o;
  o.ignore_unknown_fields = true;
  if (!google::protobuf::util::JsonStringToMessage(j.dump(), &m, o).ok()) return M();
  return m;
}

}  // namespace

// ---- reconcile -----------------------------------------------------------------

void CycleController::Reconcile() {
  if (resumed_) {
    resumed_ = false;
    host_.ClusterEvent("cycle_resumed", "cycle " + cycle_->id + " resumes at " + cycle::StageName(cycle_->stage) +
                                            "; finished stages are not run again");
    spdlog::info("resuming cycle {} at {}", cycle_->id, cycle::StageName(cycle_->stage));
    if (cycle_->stage == v1::CYCLE_STAGE_TRIGGERED) {
      Pending p = Begin("resume");
      if (Enter(p, v1::CYCLE_STAGE_PLANNING, "resumed after a runtime restart").ok()) Apply(std::move(p));
    }
  }
  ReconcileServing();
  if (!running()) return;
  switch (cycle_->stage) {
    case v1::CYCLE_STAGE_PLANNING:
      return ReconcileRequest("planning");
    case v1::CYCLE_STAGE_GENERATING_DATA:
      return ReconcileRequest("datagen");
    case v1::CYCLE_STAGE_TRAINING:
      return ReconcileRequest("training");
    case v1::CYCLE_STAGE_EVALUATING:
      return ReconcileRequest("evaluation");
    case v1::CYCLE_STAGE_ROLLING_OUT:
      return ReconcileRollout();
    case v1::CYCLE_STAGE_AWAITING_APPROVAL:
      return ReconcileApproval();
    default:
      return;
  }
}

void CycleController::ReconcileServing() {
  router::TrafficPolicy& t = host_.Traffic();
  const std::string& worker = settings_.worker_id;
  const std::string& clone = settings_.clone_id;
  if (!running()) {
    clone_started_ = false;
    // After a rollback or an abort: back to the worker once it serves the
    // serving version again, then the clone drains.
    const AgentView w = host_.Agent(worker);
    if (t.primary() == clone && !t.split() && w.can_serve && w.model_version == serving_.version) {
      t.SetSingle(worker);
      host_.ClusterEvent("traffic", "all traffic back to " + worker + " (" + serving_.version + ")");
      host_.DrainClone();
    } else if (t.split()) {
      t.SetSingle(host_.Agent(clone).can_serve ? clone : worker);
    } else if (t.primary() == worker && host_.CloneRunning()) {
      host_.DrainClone();
    }
    return;
  }
  if (cycle_->during_improvement != "clone") return;
  if (!clone_started_) {
    // Wanted while the cycle runs: started once by this runtime (the supervisor restarts it after a crash).
    clone_started_ = true;
    host_.StartClone(cycle_->incumbent);
  }
  // The clone takes over once it serves; only then does the worker stop serving.
  if (cycle_->stage != v1::CYCLE_STAGE_ROLLING_OUT && !t.split() && t.primary() == worker &&
      host_.Agent(clone).can_serve) {
    t.SetSingle(clone);
    host_.ClusterEvent("traffic", "all traffic to the clone " + clone + " while " + worker + " improves");
    host_.Command(worker, v1::Command::IMPROVE, "", "cycle " + cycle_->id + ": " + clone + " serves meanwhile");
  }
}

void CycleController::ReconcileApproval() {
  const bool promotion = AwaitingPromotion();
  const ApprovalSettings& a = Approval(promotion);
  if (a.policy == TimeoutPolicy::kWait || cycle_->stages.empty()) return;
  const int64_t waited = host_.NowMs() - cycle_->stages.back().started_ms;
  if (waited <= a.timeout_s * 1000) return;
  const bool approve = a.policy == TimeoutPolicy::kApprove;
  Pending p = Begin("approval_timeout");
  if (Decide(p, approve,
             std::string("approval timed out; ") + (approve ? "approved" : "rejected") + " by " + a.section +
                 ".approval_timeout_policy")
          .ok()) {
    Apply(std::move(p));
  }
}

void CycleController::ReconcileRollout() {
  const cycle::CycleRecord& c = *cycle_;
  const AgentView worker = host_.Agent(settings_.worker_id);
  if (!worker.connected) return;  // it loads the candidate when it registers (Assign)
  if (c.phase == kPhaseAbTest && worker.epoch == c.loaded_epoch) {
    ReconcileRequest("deployment");
    return;
  }
  // The worker's current process has not loaded the candidate (the rollout
  // starts, or the worker or the runtime restarted): load it, once per process.
  if (reload_sent_.first == c.id && reload_sent_.second == worker.epoch) return;
  reload_sent_ = {c.id, worker.epoch};
  host_.Assign(settings_.worker_id, c.candidate);  // a restarted worker comes back with the candidate
  const std::string cycle_id = c.id;
  const int64_t epoch = worker.epoch;
  host_.Command(settings_.worker_id, v1::Command::RELOAD_MODEL, c.candidate.ToJson().dump(),
                "rollout of " + c.candidate.version, [this, cycle_id, epoch](const bus::Envelope& reply) {
                  OnCandidateLoaded(cycle_id, epoch, reply);
                  Reconcile();
                });
}

void CycleController::ReconcileRequest(const std::string& role) {
  const cycle::CycleRecord& c = *cycle_;
  if (!c.request.empty()) {
    const AgentView a = host_.Agent(c.request.target);
    if (a.connected && a.epoch == c.request.epoch) return;  // still with the process it went to
  }
  const std::string target = host_.ConnectedAgentOf(role);
  if (target.empty()) {
    const std::string key = c.id + "/" + cycle::StageName(c.stage);
    if (no_agent_warned_ != key) {
      no_agent_warned_ = key;
      spdlog::info("cycle {}: no {} agent connected; the request goes out when one registers", c.id, role);
    }
    return;
  }
  const bus::Envelope e = StageRequest(target);
  Pending p = Begin("request");
  p.decision.cycle->request = {e.message_id(), target, host_.Agent(target).epoch};
  p.effects.push_back([this, target, e] { host_.Send(target, e); });
  Apply(std::move(p));
}

bus::Envelope CycleController::StageRequest(const std::string& target) const {
  const cycle::CycleRecord& c = *cycle_;
  bus::Envelope e = bus::MakeEnvelope(kRuntimeSender, target);
  e.set_message_id(NewId());
  e.set_cycle_id(c.id);
  // The same key on every copy of this request, also after a restart: the stage agent answers it once.
  e.set_job_key(c.id + ":" + cycle::StageName(c.stage) + ":" + std::to_string(c.attempt));
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
      r->set_carry_dataset_uri(host_.DatasetThatMade(c.incumbent.version));
      break;
    }
    case v1::CYCLE_STAGE_TRAINING: {
      auto* r = e.mutable_train_request();
      r->set_base_model(c.incumbent.version);
      r->set_base_model_uri(c.incumbent.uri);
      r->set_dataset_id(c.dataset.value("id", ""));
      r->set_dataset_uri(c.dataset.value("uri", ""));
      r->set_output_version(c.candidate.version);
      r->set_strategy(plan.strategy());
      // The prompt bounds the trainer stays within; the plan's share is at most the manifest's.
      if (plan.has_max_prompt_change()) {
        r->set_max_prompt_change(plan.max_prompt_change());
      } else if (settings_.bounds.max_prompt_change) {
        r->set_max_prompt_change(*settings_.bounds.max_prompt_change);
      }
      if (settings_.bounds.max_drift_from_anchor && !anchor_.empty()) {
        r->set_max_drift_from_anchor(*settings_.bounds.max_drift_from_anchor);
        r->set_anchor_version(anchor_.version);
        r->set_anchor_uri(anchor_.uri);
      }
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
      if (auto m = host_.Model(c.candidate.version); m.ok() && *m) {
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
      for (double s : settings_.steps) r->add_steps(s);
      r->set_candidate_worker(c.candidate_worker);
      r->set_incumbent_worker(c.incumbent_worker);
      for (const std::string& id : settings_.ReplicasOf(c.candidate_worker)) r->add_candidate_replicas(id);
      for (const std::string& id : settings_.ReplicasOf(c.incumbent_worker)) r->add_incumbent_replicas(id);
      break;
    }
    default:
      break;
  }
  return e;
}

}  // namespace kaizen::controller
