// Where an improvement cycle's wall time went, from the journal (stage
// transitions, the A/B test's start and decision), the agents' logs (when
// datagen stopped waiting for inputs and when its teacher calls ended, when
// evaluation started and ended; run with TZ=UTC so they read like the
// journal) and the model registry (the trainer's own compute time).
//
// Time that is not orchestration:
//   collect wait   datagen: data request -> inputs selected (waiting for
//                  enough failures on live traffic; traffic-bound)
//   teacher calls  datagen: inputs selected -> dataset written
//   training       the trainer process's own measured seconds
//   evaluation     evaluation: request taken -> verdict
//   A/B test       first traffic split of the rollout -> rollout decision
//                  (waiting for ratings; traffic-bound)
// Overhead = cycle wall time (first transition -> final stage) minus the
// union of those intervals; the gaps left are listed, labelled by what they
// sit between.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace kaizen::bench {

struct Interval {
  std::string name;
  int64_t start_ms = 0, end_ms = 0;  // wall clock
};

struct CycleTimeline {
  std::string cycle_id, outcome;
  int64_t start_ms = 0, end_ms = 0;  // first transition, final stage
  std::vector<Interval> excluded;    // not orchestration, as found
  std::vector<Interval> gaps;        // what is left: the overhead, piece by piece
  double overhead_ms = 0;
  std::vector<std::string> missing;  // intervals that could not be found
  nlohmann::json ToJson() const;
};

// Reads state_dir (state.db and logs/) for cycle `cycle_id`; `candidate` is
// the version it trained (for the trainer's seconds). Empty cycle_id on failure.
CycleTimeline AnalyzeCycle(const std::string& state_dir, const std::string& cycle_id, const std::string& candidate);

}  // namespace kaizen::bench
