// FollowUp: whether one improvement cycle was enough. After a cycle that a
// performance trigger started is promoted, the new version's thumbs-down rate
// is measured over its first `samples` rated answers and compared with the
// rate before the change (the old version's ratings before the change point
// the trigger dated; the detector's warm-up baseline when there were fewer). Another
// cycle (a `follow_up` trigger) is due when all three hold:
//   gap = rate_new - rate_before >= min_gap        (clearly below the old level)
//   gap - 1.645 * se > 0                           (not noise: one-sided 95%,
//                                                   se of the two proportions)
//   gap x horizon_tasks x value_per_correct > teacher_calls x cost_per_call
//                                                  (the round pays for itself)
// A chain (the first cycle and its follow-ups) keeps the level before the
// first change as its reference and has at most `max_rounds` follow-ups. It
// ends when the gap is closed or not worth a round, when a cycle of it is
// rolled back or aborted (the same round again would buy the same labels), or
// after the last round. The follow-up dates its change at the promoted
// version's first rated answer, so datagen selects that version's failures.
//
// No sockets or clocks; the TriggerEngine feeds it and decides when a due
// follow-up may be sent (not during a cycle or while a trigger is pending).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

namespace kaizen::agents {

class FollowUp {
 public:
  struct Options {
    bool enabled = false;
    double min_gap = 0.03;
    int64_t max_rounds = 1;
    int64_t samples = 500;
    int64_t horizon_tasks = 10000;
    double value_per_correct = 0.01;
    int64_t teacher_calls = 0;  // what one cycle may spend
    double cost_per_call = 0;
  };
  // From monitoring.follow_up (schema defaults applied by the loader).
  static Options FromJson(const nlohmann::json& config, int64_t teacher_calls, double cost_per_call);

  // A follow-up is due: what the trigger says.
  struct Due {
    std::string reason;
    double gap = 0;
    double min_gap = 0;
    uint64_t change_seq = 0;         // the promoted version's first rated answer
    int64_t change_task_index = 0;
  };

  explicit FollowUp(const Options& options) : options_(options) {}

  // A performance trigger fired with this level before the change (the
  // down-rate and how many ratings it was measured on). Starts a chain
  // unless one is open: a chain keeps its first reference.
  void OnTrigger(double rate_before, int64_t samples_before, const std::string& version_before);
  // The follow-up trigger was sent; the next cycle that begins is its round.
  void OnFollowUpSent() { sent_ = true; }
  void OnCycleStarted();
  void OnCycleEnded(bool promoted);

  // A rated answer of the served version. Returns the follow-up while one is
  // due (until a cycle begins); the caller sends it when it may.
  std::optional<Due> Observe(bool down, const std::string& version, uint64_t seq, int64_t task_index);

  // e.g. "follow-up: measuring v2, 120/500 ratings, down-rate 0.18 vs 0.09 before".
  std::string Describe() const;
  // The decision made since the last call ("" when none): for the log.
  std::string TakeDecision() { return std::exchange(new_decision_, std::string()); }
  bool measuring() const { return state_ == State::kMeasuring; }
  bool due() const { return state_ == State::kDue; }

 private:
  enum class State { kNone, kTriggered, kInCycle, kMeasuring, kDue };
  void EndChain(const std::string& why);

  Options options_;
  State state_ = State::kNone;
  double rate_before_ = 0;
  int64_t samples_before_ = 0;
  std::string version_before_;
  int64_t rounds_ = 0;  // follow-up cycles begun in this chain
  bool sent_ = false;
  // Measurement of the promoted version.
  std::string version_;
  int64_t n_ = 0, downs_ = 0;
  uint64_t first_seq_ = 0;
  int64_t first_task_index_ = 0;
  Due due_;
  std::string last_decision_;
  std::string new_decision_;
};

}  // namespace kaizen::agents
