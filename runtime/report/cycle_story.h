// CycleStory: an improvement cycle told from the store, for `kaizen cycles`,
// `kaizen describe cycle` and `kaizen report`. Only reads (the cycles table
// and the journal), so it works on a read-only store with the cluster down.
// The story is JSON because `-o json` prints it as is; times are wall-clock
// milliseconds, rates are fractions.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/base/result.h"
#include "runtime/store/store.h"

namespace kaizen::report {

// One object per cycle, oldest first:
//   {"id","stage","outcome" ("running" until it ends),"reason","started_ms","ended_ms" (null while
//    running),"trigger","incumbent","candidate","attempts","teacher_calls","teacher_cost",
//    "stages":[{"name","started_ms","ended_ms","duration_ms"}]}
Result<nlohmann::json> ListCycleSummaries(const store::Store& store);

// The whole story of one cycle: the summary above plus
//   "stages"[i]."reason"    why the cycle entered that stage (from the journal)
//   "trigger_evidence"      {"policy","reason","task_index","statistic","threshold","baseline_rate",
//                            "recent_rate","categories":[{"dimension","value","baseline","recent","samples"}],"ts_ms"}
//   "attempts_detail"       [{"attempt","plan":{...},"approval":{"request","decision"}|null,
//                             "dataset":{...,"provenance"}|null,"training":{"progress":[{"ts_ms","fraction",
//                             "loss","message"}],"model":{...}|null},"evaluation":{...}|null}]
//   "rollout"               {"steps":[{"step","weight","started_ms","ended_ms","reason","arms":[{"arm",
//                             "version","tasks","errors","up","down","rate"}]}],"curve":[{"ts_ms",
//                             "incumbent_n","incumbent_rate","candidate_n","candidate_rate"}],"decision":{...}|null}
// NotFound when there is no such cycle.
Result<nlohmann::json> LoadCycleStory(const store::Store& store, const std::string& cycle_id);

// What an attempt's training changed, as (field, text) lines for `kaizen
// describe cycle` and the HTML report alike: the strategy, each tool written
// (accepted or rejected), the lesson memory, the example pool. `training` is
// an attempt's "training" object of LoadCycleStory.
std::vector<std::pair<std::string, std::string>> TrainingChanges(const nlohmann::json& training);

}  // namespace kaizen::report
