// TriggerEngine: monitoring's decision of when to start an improvement
// cycle, without sockets or clocks (callers pass now_ms), so it can be tested.
//
// Policies (monitoring.triggers in the manifest, all active at once):
//   performance  a detector on the thumbs-down stream of the served version:
//                cusum (stats::BernoulliCusum) or window (stats::WindowDetector);
//   schedule     every_s seconds since the engine started or the last cycle ended;
//   roi          expected value of a cycle, (recent drop of the thumbs-up rate)
//                x horizon_tasks x value_per_correct, against its teacher cost.
// Never triggers while a cycle runs (TRIGGERED until a terminal stage) nor
// within cooldown_s after one ended. After PROMOTED the detectors and the
// diagnosis start over on the new version; after ROLLED_BACK / ABORTED only
// the detectors' statistics are cleared, so a new trigger needs new evidence.
//
// A performance trigger says where the change began (Trigger.change_seq, the
// journal seq of the first answer after it): for cusum the answer after the
// statistic last stood at 0 (the CUSUM's maximum-likelihood change point,
// Page 1954), for window the oldest answer of the window. Datagen selects
// inputs from there on, so failures that predate the change (old mistakes,
// rating noise) do not take the teacher budget.
//
// follow_up (monitoring.follow_up, agents/monitoring/follow_up.h): after a
// cycle a performance trigger started is promoted, another round is fired
// (policy "follow_up") when the new version is still clearly and profitably
// below the level before the change. It waits while a cycle runs or a sent
// trigger is pending, not for the cooldown (it counts only the promoted
// version's own ratings, which is what the cooldown guards against).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agents/monitoring/feedback_diagnosis.h"
#include "agents/monitoring/follow_up.h"
#include "agents/stats/bernoulli_cusum.h"
#include "agents/stats/window_detector.h"
#include "cycle.pb.h"

namespace kaizen::agents {

// One rated answer (thumbs up or down).
struct RatedAnswer {
  bool down = false;
  std::string model_version;               // empty: counts for the watched version
  std::string predicted;                   // the answer's label
  std::map<std::string, std::string> tags;  // e.g. {"domain": "banking"}
  uint64_t seq = 0;                        // journal seq of the answer (0: unknown)
};

class TriggerEngine {
 public:
  struct Options {
    int64_t cooldown_ms = 60000;
    nlohmann::json triggers = nlohmann::json::array();  // the manifest's trigger list, defaults applied
    int64_t teacher_calls = 0;        // what one cycle may spend: planning.teacher_budget.max_calls
    double cost_per_call = 0;         // of the first teacher
    int64_t diagnosis_window = 300;   // recent window of the diagnosis and the roi policy
    int64_t pending_timeout_ms = 30000;  // a trigger the runtime never acted on may be re-sent after this
    nlohmann::json follow_up = nlohmann::json::object();  // monitoring.follow_up; disabled when empty
  };
  // From the monitoring agent's settings() (cooldown_s, triggers, cluster.spec).
  static Options OptionsFromSettings(const nlohmann::json& settings);

  TriggerEngine(const Options& options, int64_t now_ms);

  // Feeds one rated answer; returns a trigger to send, if one fires now.
  std::optional<v1::Trigger> Observe(const RatedAnswer& answer, int64_t now_ms);
  // Time-based policies (schedule); call periodically.
  std::optional<v1::Trigger> Tick(int64_t now_ms);
  void OnCycleStage(v1::CycleStage stage, int64_t now_ms);
  // Ratings were skipped (a replay jumped over them): the detectors'
  // statistics start again, their baselines are kept.
  void ClearStatistics() { ResetDetectors(true); }
  const Options& options() const { return options_; }
  // Forgets that a trigger is waiting for its cycle. After a replay: the
  // triggers it fired were either sent back then (and the replayed
  // transitions show the cycle that followed) or never sent, so the next
  // live rating decides instead of a 30 s wait.
  void ClearPendingTrigger() { pending_since_ms_ = -1; }
  // The task_index of the latest task result, reported in triggers.
  void SetTaskIndex(int64_t task_index) { task_index_ = task_index; }

  bool cycle_active() const { return cycle_active_; }
  int64_t rated() const { return rated_; }
  const std::string& watched_version() const { return watched_version_; }
  const FeedbackDiagnosis& diagnosis() const { return diagnosis_; }
  const FollowUp& follow_up() const { return follow_up_; }
  std::string TakeFollowUpDecision() { return follow_up_.TakeDecision(); }
  // One line for the agent's state detail, e.g.
  // "watching v1: down-rate 0.07 (baseline 0.06), cusum 1.3/9.2".
  std::string Describe(int64_t now_ms) const;

 private:
  struct Policy {
    std::string kind;  // performance, schedule, roi
    nlohmann::json config;
    std::unique_ptr<stats::BernoulliCusum> cusum;
    std::unique_ptr<stats::WindowDetector> window;
    int64_t warmup = 0;
    int64_t seen = 0;  // observations since the detector was reset
    // Change-point estimate: the answer after the cusum last stood at 0.
    bool at_zero = true;
    uint64_t onset_seq = 0;
    int64_t onset_task_index = 0;
    // The watched version's ratings before the onset: the level before the change.
    int64_t onset_n = 0, onset_downs = 0;
    std::deque<std::pair<uint64_t, int64_t>> window_seqs;  // window: (seq, task index), oldest first
  };

  std::optional<v1::Trigger> Evaluate(Policy& p, int64_t now_ms);
  // A cycle runs, a sent trigger is pending, or (when honoured) the cooldown runs.
  bool Suppressed(int64_t now_ms, bool honour_cooldown = true) const;
  // A new version serves: its detectors, diagnosis and rating counts start over.
  void StartVersion();
  v1::Trigger Fire(const std::string& policy, const std::string& reason, double statistic, double threshold,
                   int64_t now_ms, uint64_t change_seq = 0, int64_t change_task_index = 0);
  void TrackOnset(Policy& p, const RatedAnswer& a);
  void ResetDetectors(bool keep_baseline);
  std::string RateSummary() const;

  Options options_;
  std::vector<Policy> policies_;
  FeedbackDiagnosis diagnosis_;
  FollowUp follow_up_;
  std::string watched_version_, retired_version_;
  bool cycle_active_ = false;
  int64_t cycle_ended_ms_ = -1;     // -1: none ended yet
  int64_t schedule_ref_ms_;         // start or last cycle end
  int64_t pending_since_ms_ = -1;   // a trigger was sent and no cycle began yet
  int64_t rated_ = 0;
  int64_t task_index_ = 0;
  int64_t version_n_ = 0, version_downs_ = 0;  // ratings of the watched version
};

}  // namespace kaizen::agents
