// CycleController: owns the improvement cycle. Its desired state is the
// cycle's persisted record (runtime/cycle/cycle_record.h: stage, sub-phase,
// candidate, split weight, the outstanding stage request with its id and
// the agent epoch it went to) plus the serving version. Handlers record what
// was observed (a stage's answer, an approval, a lost worker) as a decision;
// Reconcile(now) compares the desired state with what the agents report and
// sends what is missing: the stage request to an agent of the stage's role,
// the candidate to the worker, traffic to the clone and back, a timed-out
// approval's verdict. Reconcile is idempotent (called after every
// observation and on every tick), so resuming after a restart is one
// reconcile: a request the old runtime sent went to an agent epoch that no
// longer exists, so it goes out again.
//
// Every decision is one transaction (CycleHost::Commit): the transition, the
// cycle row, the registry rows and the journal events. What a decision sends
// is sent after its commit. A decision that does not commit changes nothing
// here either; the failure is logged, journaled as `decision_failed` and the
// cycle is aborted with the reason (when that commits).
//
// Single-threaded: the runtime's poll loop calls it. No sockets, no clock of
// its own: tests/unit/controller/cycle_controller_test.cc drives every
// transition with a fake host.
#pragma once

#include <functional>
#include <optional>
#include <utility>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/controller/cycle_host.h"
#include "runtime/controller/cycle_settings.h"

namespace kaizen::controller {

class CycleController {
 public:
  CycleController(CycleHost& host, CycleSettings settings);

  // At start: the serving version and the cycles in the store, oldest first.
  // An unfinished one is resumed by the next Reconcile; else the last one is
  // kept for status.
  void Load(const cycle::ModelRef& serving, std::vector<cycle::CycleRecord> cycles);
  // The first model a worker registered (no cycle made it).
  void SetServing(const cycle::ModelRef& serving) { serving_ = serving; }
  // The version max_drift_from_anchor measures against: the last one
  // `kaizen anchor set` pinned, else the first model (the runtime reads it
  // from the store at start and sets it again when it moves).
  void SetAnchor(const cycle::ModelRef& anchor) { anchor_ = anchor; }
  const cycle::ModelRef& anchor() const { return anchor_; }

  // ---- observations --------------------------------------------------------
  // A trigger; "" when it started a cycle, else why it was ignored (journaled either way).
  std::string OnTrigger(const bus::Envelope& trigger, const std::string& from, bool stopping);
  // A stage agent's answer to the outstanding request (Plan, DatasetReady,
  // ModelReady, EvalReport, RolloutDecision, or an Error), or TrainProgress.
  // Answers to another request are dropped.
  void OnStageReply(const bus::Envelope& e, const std::string& from);
  // A person's verdict on the waiting plan or promotion (`why` says who);
  // FailedPrecondition when nothing waits, or the decision's commit error.
  Status OnApproval(const Event& decision_event, bool approved, const std::string& why);
  // `kaizen promote|rollback`: ends a running A/B test or a waiting promotion.
  Status OnOperatorEnd(bool promote, const std::string& why);
  // Deployment moves the split; FailedPrecondition when no A/B test runs.
  Status OnTrafficSplit(const bus::Envelope& event, const std::string& from);
  // The worker instance died or was lost while it served the candidate.
  void OnWorkerLost(const std::string& instance, const std::string& detail);

  // ---- reconcile -------------------------------------------------------------
  void Reconcile();

  // ---- state -----------------------------------------------------------------
  const std::optional<cycle::CycleRecord>& cycle() const { return cycle_; }
  bool running() const { return cycle_ && !cycle_->finished(); }
  const cycle::ModelRef& serving() const { return serving_; }
  // The request the running stage waits on ("" when none).
  const std::string& outstanding_request() const;
  bool AwaitingPromotion() const;
  double training_progress() const { return training_progress_; }
  const std::vector<std::string>& cycle_ids() const { return cycle_ids_; }  // cycles of this runtime, in order
  // `kaizen status`'s cycle (null when none ran).
  nlohmann::json StatusJson() const;

 private:
  using Effect = std::function<void()>;
  struct Pending {
    Decision decision;
    std::vector<Effect> effects;   // run after the commit, in order
    struct Entered {
      v1::CycleStage from, to;
      std::string reason;
    };
    std::vector<Entered> entered;            // reported after the commit
    std::optional<cycle::ModelRef> serving;  // the serving version it sets
    Status failed;                           // a read it needed failed: it is not committed
  };

  Pending Begin(const std::string& what) const;
  // Moves the pending cycle to `to` with its journal event; an illegal move is refused with the reason.
  Status Enter(Pending& p, v1::CycleStage to, const std::string& reason) const;
  // Ends the cycle: the outcome with its registry rows and what serving does then.
  Status Finish(Pending& p, v1::CycleStage outcome, const std::string& reason) const;
  void AskApproval(Pending& p, const std::string& subject, const std::string& summary) const;
  // Back to planning while replans are left (planning.max_replans), else aborted; `why` starts the reason.
  Status ReplanOrAbort(Pending& p, const std::string& why) const;
  Status Decide(Pending& p, bool approved, const std::string& why) const;
  // Commits `p`, adopts it and runs its effects; on failure aborts the cycle
  // (unless `p` was that abort). True when committed.
  bool Apply(Pending p, bool is_abort = false);

  void ReconcileServing();
  void ReconcileApproval();
  void ReconcileRollout();
  void ReconcileRequest(const std::string& role);
  void OnCandidateLoaded(const std::string& cycle_id, int64_t epoch, const bus::Envelope& reply);
  // Training reported tools it wrote and tested: each goes into the tool
  // repository, accepted or rejected, in one audited decision ("tool").
  void RegisterTools(const bus::Envelope& progress, const std::string& from);
  // The request for the running stage, to `target`.
  bus::Envelope StageRequest(const std::string& target) const;
  const ApprovalSettings& Approval(bool promotion) const;

  CycleHost& host_;
  CycleSettings settings_;
  std::optional<cycle::CycleRecord> cycle_;
  cycle::ModelRef serving_;
  cycle::ModelRef anchor_;
  std::vector<std::string> cycle_ids_;
  std::vector<int64_t> started_ms_;  // when every cycle started, this runtime's and earlier ones' (max_cycles_per_day)
  double training_progress_ = 0;
  // The LLM calls a failed training reported (TrainProgress.llm_usage), added
  // to the cycle's usage by the decision its Error leads to.
  std::optional<v1::LlmUsage> failed_training_usage_;
  // The cycle and worker epoch a RELOAD of the candidate went to (its ack awaited):
  // one per worker process and cycle.
  std::pair<std::string, int64_t> reload_sent_;
  bool clone_started_ = false;     // this runtime started the running cycle's clone
  bool resumed_ = false;           // Load() found an unfinished cycle: the next Reconcile says so
  std::string no_agent_warned_;    // the role last warned about having no agent
};

// The sender of what the controller sends and journals (core::kRuntimeId).
inline constexpr const char* kRuntimeSender = "runtime";

// The sub-phases (CycleRecord::phase).
inline constexpr const char* kPhasePlanApproval = "plan_approval";
inline constexpr const char* kPhasePromotionApproval = "promotion_approval";
inline constexpr const char* kPhaseLoadingCandidate = "loading_candidate";
inline constexpr const char* kPhaseAbTest = "ab_test";

}  // namespace kaizen::controller
