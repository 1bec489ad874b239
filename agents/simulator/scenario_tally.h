// ScenarioTally: the simulated users' account of a run. Accuracy is measured
// on the answers the users actually got, against the data set's gold labels
// (or reference replies, as the AnswerRating judges them),
// in three phases: before the drift, after the drift (until a promotion), and
// after a promotion. Also counts lost and duplicated answers, and tasks that
// failed (refused with a final error: via the gateway only).
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "agents/simulator/answer_rating.h"

namespace kaizen::agents {

class ScenarioTally {
 public:
  enum class Phase { kBeforeDrift, kAfterDrift, kAfterPromotion };

  explicit ScenarioTally(AnswerRating rating = AnswerRating{}) : rating_(rating) {}

  // A task was sent in `phase`, expecting `gold`.
  void Sent(const std::string& task_id, uint64_t index, Phase phase, std::string gold);
  // An answer arrived. Returns whether it was right; a second answer for the
  // same task is counted as a duplicate and returns false.
  bool Answered(const std::string& task_id, const std::string& output, bool* duplicate);
  // The task will never be answered (the gateway refused it, or retrying it
  // ran out of time): no longer outstanding, counted as failed, not lost.
  void Failed(const std::string& task_id);

  uint64_t sent() const { return sent_; }
  uint64_t answered() const { return answered_; }
  uint64_t outstanding() const { return pending_.size(); }
  uint64_t failed() const { return failed_; }
  double Accuracy(Phase phase) const;  // NaN-free: 0 when no answers in that phase

  // {"accuracy": {...}, "tasks": {...}, "timeline": [...]} for the run summary;
  // tasks has "failed" only when some did.
  nlohmann::json ToJson() const;

 private:
  struct Pending {
    uint64_t index;
    Phase phase;
    std::string gold;
  };
  struct Counts {
    uint64_t answered = 0, correct = 0;
  };
  AnswerRating rating_;
  std::unordered_map<std::string, Pending> pending_;
  std::unordered_map<std::string, bool> done_;  // task id -> answered
  Counts phase_[3];
  std::vector<Counts> timeline_;  // per bucket of kBucket tasks by index
  uint64_t sent_ = 0, answered_ = 0, duplicated_ = 0, failed_ = 0;
  static constexpr uint64_t kBucket = 500;
};

}  // namespace kaizen::agents
