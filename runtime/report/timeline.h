// Timeline: what the journal says happened over time, for the report's
// charts. Per-task answers and ratings are journaled one event each, so the
// series are built by bucketing those events; the simulated users' own
// accuracy account (the `scenario` event, when the run had a simulator) is
// placed on the same time axis through the answers' task indexes.
#pragma once

#include <cstdint>

#include <nlohmann/json.hpp>

#include "runtime/base/result.h"
#include "runtime/store/store.h"

namespace kaizen::report {

struct TimelineOptions {
  int64_t from_ms = 0;   // 0 = the journal's first event
  int64_t to_ms = 0;     // 0 = its last
  int target_buckets = 80;
};

// {"start_ms","end_ms","bucket_ms",
//  "buckets":[{"t_ms","tasks","up","down","rate"|null,"versions":{"v1":{"tasks","up","down"}}}],
//  "versions":["v1","v2"],                       in order of first appearance
//  "accuracy":[{"t_ms","accuracy","tasks"}],      from the scenario report; [] without a simulator
//  "markers":[{"t_ms","kind","label"}],           kind: drift, trigger, promoted, rolled_back, aborted
//  "teacher":[{"t_ms","cycle","calls","cost"}],   cumulative teacher calls and cost, at each dataset
//  "deferred":{"answers","deferred","cost",        answers a teacher gave in the worker's place (tag
//              "answers_during_cycle","deferred_during_cycle"}, `deferred`, cost: tag `deferred_cost`);
//                                                 during a cycle: journaled while one ran
//  "scenario_accuracy":{"before_drift","after_drift","during_cycle","after_promotion"}|null}
//                                                 the simulated users' accuracy per phase, from the scenario report
Result<nlohmann::json> LoadTimeline(const store::Store& store, const TimelineOptions& options);

}  // namespace kaizen::report
