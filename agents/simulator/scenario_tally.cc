#include "agents/simulator/scenario_tally.h"

namespace kaizen::agents {
namespace {

using json = nlohmann::json;

json TallyShare(uint64_t part, uint64_t whole) {
  return whole == 0 ? json(nullptr) : json(static_cast<double>(part) / static_cast<double>(whole));
}

double TallyRatio(uint64_t part, uint64_t whole) {
  return whole == 0 ? 0.0 : static_cast<double>(part) / static_cast<double>(whole);
}

}  // namespace

void ScenarioTally::Sent(const std::string& task_id, uint64_t index, Phase phase, std::string gold, bool during_cycle) {
  pending_[task_id] = Pending{index, phase, during_cycle, std::move(gold), promotions_};
  done_[task_id] = false;
  ++sent_;
}

bool ScenarioTally::Answered(const std::string& task_id, const std::string& output, bool* duplicate,
                             const Deferral& deferral) {
  *duplicate = false;
  auto it = pending_.find(task_id);
  if (it == pending_.end()) {
    auto d = done_.find(task_id);
    if (d != done_.end() && d->second) {
      *duplicate = true;
      ++duplicated_;
    }
    return false;
  }
  const Pending& p = it->second;
  bool right = rating_.Right(output, p.gold);
  Counts* last = promotions_ > 0 && p.promotions == promotions_ ? &last_promotion_ : nullptr;
  for (Counts* c : {&phase_[static_cast<int>(p.phase)], p.during_cycle ? &cycle_ : nullptr, last}) {
    if (c == nullptr) continue;
    ++c->answered;
    c->correct += right;
    c->deferred += deferral.deferred();
  }
  if (deferral.deferred()) {
    ++deferred_;
    deferred_cost_ += deferral.cost;
  }
  size_t bucket = (p.index - 1) / kBucket;
  if (timeline_.size() <= bucket) timeline_.resize(bucket + 1);
  ++timeline_[bucket].answered;
  timeline_[bucket].correct += right;
  ++answered_;
  done_[task_id] = true;
  pending_.erase(it);
  return right;
}

void ScenarioTally::Failed(const std::string& task_id) {
  if (pending_.erase(task_id) == 0) return;
  ++failed_;
}

void ScenarioTally::Promoted() {
  ++promotions_;
  last_promotion_ = Counts{};
}

double ScenarioTally::Accuracy(Phase phase) const {
  const Counts& c = phase_[static_cast<int>(phase)];
  return TallyRatio(c.correct, c.answered);
}

double ScenarioTally::AccuracyDuringCycle() const { return TallyRatio(cycle_.correct, cycle_.answered); }

json ScenarioTally::ToJson() const {
  auto phase = [this](Phase p) {
    const Counts& c = phase_[static_cast<int>(p)];
    return c.answered == 0 ? json(nullptr) : json(Accuracy(p));
  };
  const json during_cycle = cycle_.answered == 0 ? json(nullptr) : json(AccuracyDuringCycle());
  json timeline = json::array();
  for (size_t i = 0; i < timeline_.size(); ++i) {
    if (timeline_[i].answered == 0) continue;
    timeline.push_back({{"first_task", i * kBucket + 1},
                        {"tasks", timeline_[i].answered},
                        {"accuracy", static_cast<double>(timeline_[i].correct) / timeline_[i].answered}});
  }
  json out{{"accuracy",
            {{"before_drift", phase(Phase::kBeforeDrift)},
             {"after_drift", phase(Phase::kAfterDrift)},
             {"during_cycle", during_cycle},
             {"after_promotion", phase(Phase::kAfterPromotion)},
             {"after_last_promotion", last_promotion_.answered == 0
                                          ? json(nullptr)
                                          : json(TallyRatio(last_promotion_.correct, last_promotion_.answered))}}},
           {"answered_by_phase",
            {{"before_drift", phase_[0].answered}, {"after_drift", phase_[1].answered},
             {"after_promotion", phase_[2].answered}}},
           {"tasks",
            {{"submitted", sent_},
             {"answered", answered_},
             {"lost", pending_.size()},
             {"duplicated", duplicated_},
             {"tasks_during_cycle", cycle_.answered},
             {"accuracy_during_cycle", during_cycle},
             {"deferred_tasks", deferred_},
             {"deferred_tasks_during_cycle", cycle_.deferred},
             {"deferred_share", TallyShare(deferred_, answered_)},
             {"deferred_share_during_cycle", TallyShare(cycle_.deferred, cycle_.answered)},
             {"deferred_cost", deferred_cost_}}},
           {"timeline", timeline}};
  if (failed_ > 0) out["tasks"]["failed"] = failed_;
  return out;
}

}  // namespace kaizen::agents
