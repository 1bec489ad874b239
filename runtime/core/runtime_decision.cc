// Runtime: decisions of the cycle, all-or-nothing (runtime.h, DecisionScope).
// A crash before the commit loses the whole decision (the cycle resumes from
// the one before, and its agent is asked again); a crash after it keeps the
// whole decision, and what it would have sent is sent by the resume (a stage
// request when its agent registers, the serving version to the worker).
#include <spdlog/spdlog.h>

#include "runtime/base/crash_point.h"
#include "runtime/core/runtime.h"

namespace kaizen::core {

Runtime::DecisionScope::DecisionScope(Runtime& runtime, const std::string& what) : runtime_(runtime) {
  runtime_.BeginDecision(what);
}

Runtime::DecisionScope::~DecisionScope() {
  if (!ended_) End();
}

bool Runtime::DecisionScope::End() {
  ended_ = true;
  return runtime_.EndDecision();
}

void Runtime::BeginDecision(const std::string& what) {
  if (decision_) {
    ++decision_->depth;
    return;
  }
  OpenDecision& d = decision_.emplace();
  d.what = what;
  d.depth = 1;
  d.cycle = cycle_;
  d.serving = serving_;
  d.assigned = assigned_;
  d.stage_request_id = stage_request_id_;
  d.rollout_ready = rollout_ready_;
  d.cycle_count = cycle_ids_.size();
  if (Status s = journal_->BeginDecision(); !s.ok()) d.failed = s.WithContext("opening its transaction");
}

void Runtime::NameDecision(const std::string& what) {
  if (decision_ && !decision_->aborting) decision_->what = what;
}

void Runtime::Written(const Status& s, const std::string& what) {
  if (s.ok()) return;
  if (!decision_) {
    spdlog::error("cannot write {}: {}", what, s.ToString());
    return;
  }
  if (decision_->failed.ok()) decision_->failed = s.WithContext(what);
}

void Runtime::Write(const std::function<Status()>& write, const std::string& what) {
  if (decision_ && !decision_->failed.ok()) return;
  Written(write(), what);
}

void Runtime::Then(std::function<void()> action) {
  if (decision_) {
    decision_->then.push_back(std::move(action));
    return;
  }
  action();
}

bool Runtime::EndDecision() {
  if (!decision_) return false;
  if (--decision_->depth > 0) return decision_->failed.ok();
  OpenDecision d = std::move(*decision_);
  decision_.reset();
  bool commit = d.failed.ok();
  if (commit) CrashPoint(d.what + ":written");
  Status ended = journal_->EndDecision(commit);
  if (commit && !ended.ok()) d.failed = ended.WithContext("committing it");
  if (d.failed.ok()) {
    CrashPoint(d.what + ":committed");
    for (auto& action : d.then) action();
    return true;
  }
  // Nothing of it happened: memory goes back to what the store holds.
  cycle_ = std::move(d.cycle);
  serving_ = std::move(d.serving);
  assigned_ = std::move(d.assigned);
  stage_request_id_ = std::move(d.stage_request_id);
  rollout_ready_ = d.rollout_ready;
  cycle_ids_.resize(std::min(cycle_ids_.size(), d.cycle_count));
  metrics_.Add("kaizen_cycle_decisions_failed_total", {{"decision", d.what}});
  const std::string why = "the decision '" + d.what + "' could not be recorded, so it was not made: " + d.failed.ToString();
  spdlog::error("{}{}", cycle_ ? "cycle " + cycle_->id + ": " : std::string(), why);
  RecordClusterEvent("decision_failed", why);
  if (cycle_ && !cycle_->finished() && !d.aborting) {
    // A stated end rather than a cycle stuck at a stage nobody will answer again.
    DecisionScope abort(*this, "aborted");
    decision_->aborting = true;
    FinishCycle(v1::CYCLE_STAGE_ABORTED, why);
    if (!abort.End()) {
      spdlog::error("cycle {} stays at {}: its abort could not be recorded either; the store needs attention "
                    "(disk full? see `kaizen fsck`)",
                    cycle_->id, cycle::StageName(cycle_->stage));
    }
  }
  return false;
}

}  // namespace kaizen::core
