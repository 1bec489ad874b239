// DeferralPolicy: which of the worker's answers go to the teacher instead
// (spec.worker.defer). Pure: no sockets, no clock (callers pass now_ms), so
// every rule is unit-tested; the worker feeds it one confidence per task.
//
// The threshold is set by the budget, not by hand. A task is deferred when
//  - the teacher can take it now (the caller says so: ready, under its
//    concurrency), and at least min(window, kWarmup) confidences were seen;
//  - its confidence is below the threshold: the max_share-quantile of the last
//    `window` confidences, this task's included;
//  - one more deferral keeps the deferred share of the last `window` tasks at
//    or below max_share (so the share since the start is too). A deferral the
//    teacher then fails still counts: the share bounds teacher calls;
//  - with max_cost_per_hour > 0, a token bucket holds the call's expected
//    cost. The bucket fills at max_cost_per_hour, holds a minute of it (at
//    least one call's cost) and starts full. The expected cost is the mean
//    cost per call settled so far (the teacher's cost_per_call before the
//    first: an LLM teacher's token prices are learned as it answers); each
//    call is charged that when deferred and corrected to its real cost when
//    settled, so the spend over any T hours stays within a minute's budget
//    (plus the calls in flight) of T * max_cost_per_hour.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

namespace kaizen::agents {

struct DeferralOptions {
  double max_share = 0.25;        // 0..1
  double max_cost_per_hour = 0;   // 0: no cost cap
  int window = 2000;              // >= 1
  double cost_per_call = 0;       // the teacher's price, the expected cost before any call settles
};

class DeferralPolicy {
 public:
  static constexpr int kWarmup = 50;

  DeferralPolicy(DeferralOptions options, int64_t now_ms);

  // Records one task's confidence. When the task is deferred, returns the
  // cost charged to the bucket for it (pass it back to Settle); nullopt: the
  // worker answers it.
  std::optional<double> Decide(double confidence, bool can_call, int64_t now_ms);
  // A deferred call is over: `charged` as Decide returned it, what the call
  // really cost, and whether the teacher's answer was served (false: it
  // failed or answered "", and the worker's answer was served).
  void Settle(double charged, double cost, bool served);

  // The confidence below which a task is deferred now (above 1 when every
  // task may be; 0 before any confidence).
  double threshold() const { return threshold_; }
  int64_t seen() const { return seen_; }          // confidences recorded
  int64_t calls() const { return calls_; }        // deferrals decided
  int64_t deferred() const { return deferred_; }  // answers the teacher gave that were served
  int64_t failed() const { return failed_; }      // deferrals that fell back to the worker's answer
  int64_t in_flight() const { return calls_ - deferred_ - failed_; }
  double share() const { return seen_ == 0 ? 0.0 : static_cast<double>(deferred_) / static_cast<double>(seen_); }
  // Deferrals decided among the last `window` tasks, as a share of them.
  double window_share() const;
  double spend() const { return spend_; }         // settled calls' cost
  double expected_cost() const;
  double bucket() const { return tokens_; }       // money the bucket holds (cost cap only)
  const DeferralOptions& options() const { return options_; }

  // For the worker's state detail: "deferred 312 (4.1%, threshold 0.31, $0.31)".
  std::string Describe() const;

 private:
  void Refill(int64_t now_ms);
  double Capacity() const;

  DeferralOptions options_;
  std::deque<std::pair<double, bool>> recent_;  // (confidence, deferred), oldest first
  std::vector<double> sorted_;                  // the same confidences, ascending
  int64_t window_calls_ = 0;                    // deferred among recent_
  double threshold_ = 0;
  int64_t seen_ = 0, calls_ = 0, deferred_ = 0, failed_ = 0, settled_ = 0;
  double spend_ = 0;
  double tokens_ = 0;
  int64_t refilled_ms_ = 0;
};

}  // namespace kaizen::agents
