// ScenarioTally: the simulated users' account of a run. Accuracy is measured
// on the answers the users actually got, against the data set's gold labels
// (or reference replies, as the AnswerRating judges them), in three phases by
// when a task was sent: before the drift, after the drift (until a
// promotion), and after a promotion; and, across them, during an improvement
// cycle (tasks sent between a cycle's trigger and its promotion, rollback or
// abort: mostly part of "after the drift"). Also counts lost and duplicated
// answers, tasks that failed (refused with a final error: via the gateway
// only), and answers the worker deferred to a teacher (overall and during a
// cycle) with what those teacher calls cost.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "agents/simulator/answer_rating.h"
#include "agents/simulator/deferral.h"

namespace kaizen::agents {

class ScenarioTally {
 public:
  enum class Phase { kBeforeDrift, kAfterDrift, kAfterPromotion };

  explicit ScenarioTally(AnswerRating rating = AnswerRating{}) : rating_(rating) {}

  // A task was sent in `phase`, expecting `gold`; `during_cycle`: while an
  // improvement cycle ran.
  void Sent(const std::string& task_id, uint64_t index, Phase phase, std::string gold, bool during_cycle = false);
  // An answer arrived (`deferral`: whether a teacher gave it, at what cost).
  // Returns whether it was right; a second answer for the same task is
  // counted as a duplicate (nothing else of it is counted) and returns false.
  bool Answered(const std::string& task_id, const std::string& output, bool* duplicate,
                const Deferral& deferral = Deferral{});
  // The task will never be answered (the gateway refused it, or retrying it
  // ran out of time): no longer outstanding, counted as failed, not lost.
  void Failed(const std::string& task_id);
  // A cycle was promoted: "after the last promotion" counts only tasks sent
  // from now on (after a follow-up round, the version the run ended with).
  void Promoted();

  uint64_t sent() const { return sent_; }
  uint64_t answered() const { return answered_; }
  uint64_t outstanding() const { return pending_.size(); }
  uint64_t failed() const { return failed_; }
  uint64_t deferred() const { return deferred_; }
  double deferred_cost() const { return deferred_cost_; }
  double Accuracy(Phase phase) const;  // NaN-free: 0 when no answers in that phase
  double AccuracyDuringCycle() const;  // likewise

  // The scenario report's account (for the run summary):
  //   "accuracy":          {"before_drift", "after_drift", "during_cycle", "after_promotion",
  //                         "after_last_promotion"}, null: no answers (during_cycle overlaps the phases;
  //                         after_last_promotion is the part of after_promotion sent after the last one)
  //   "answered_by_phase": {"before_drift", "after_drift", "after_promotion"}, answers counted
  //   "tasks":             {"submitted", "answered", "lost", "duplicated", "failed" (only when some did),
  //                         "tasks_during_cycle", "accuracy_during_cycle", "deferred_tasks",
  //                         "deferred_tasks_during_cycle", "deferred_share", "deferred_share_during_cycle",
  //                         "deferred_cost"}
  //   "timeline":          [{"first_task", "tasks", "accuracy"}] per 500 tasks
  // tasks_during_cycle counts answered tasks sent during a cycle; the shares
  // are of answered tasks (null when there were none); deferred_cost is in
  // the teacher's currency ($), summed over the deferred answers.
  nlohmann::json ToJson() const;

 private:
  static constexpr int kPhases = 3;
  struct Pending {
    uint64_t index;
    Phase phase;
    bool during_cycle;
    std::string gold;
    uint64_t promotions;  // promotions before it was sent
  };
  struct Counts {
    uint64_t answered = 0, correct = 0, deferred = 0;
  };
  AnswerRating rating_;
  std::unordered_map<std::string, Pending> pending_;
  std::unordered_map<std::string, bool> done_;  // task id -> answered
  Counts phase_[kPhases];
  Counts cycle_;  // tasks sent during a cycle, whatever their phase
  Counts last_promotion_;  // tasks sent after the latest promotion
  uint64_t promotions_ = 0;
  std::vector<Counts> timeline_;  // per bucket of kBucket tasks by index
  uint64_t sent_ = 0, answered_ = 0, duplicated_ = 0, failed_ = 0, deferred_ = 0;
  double deferred_cost_ = 0;
  static constexpr uint64_t kBucket = 500;
};

}  // namespace kaizen::agents
