// What one run of the demo scenario says about the improvement cycle, read
// from its run summary (`kaizen up --summary-json`; the simulator's tally,
// agents/simulator/scenario_tally.cc, plus the runtime's cycles).
//
// "After" accuracy: a run that promoted reports the summary's
// accuracy.after_promotion (every task sent after the promotion), or with
// more than one promotion (follow-up rounds) accuracy.after_last_promotion
// (the tasks sent after the last one: the version the run ended with). A run that
// did not has no such figure; it reports the accuracy of its last
// `tasks_after_cycle` tasks instead (from the 500-task timeline buckets wholly
// inside them), which the simulator sends after the last cycle ended, and says
// so in `after_is`.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace kaizen::bench {

// Serve-time deferral figures, read wherever the summary has them (the first
// key of that name in any object, lists skipped); absent ones stay nullopt.
inline const std::vector<std::string> kDeferralFields = {
    "accuracy_during_cycle", "deferred_share", "deferred_share_during_cycle", "deferred_cost", "tasks_during_cycle"};

struct RunFigures {
  bool promoted = false;     // some cycle ended promoted
  int cycles = 0;
  std::string outcomes;      // "c1 promoted", "c1 rolled_back, c2 promoted"; "none" without a cycle
  int64_t teacher_calls = 0; // spent by every cycle (all attempts)
  double teacher_cost = 0;
  std::optional<double> before_drift, after_drift;
  std::optional<double> after;  // see the file comment
  std::string after_is;         // "after promotion" or "last N tasks, after the cycle ended" / "(no cycle)"
  std::optional<int64_t> after_tasks;  // answers that figure is over (the summary may not say)
  std::optional<double> recovery;  // (after - after_drift) / (before_drift - after_drift)
  std::map<std::string, std::optional<double>> deferral;  // kDeferralFields
  std::map<std::string, std::string> deferral_paths;      // where each was found, e.g. "accuracy.during_cycle"
  int64_t submitted = 0, answered = 0, lost = 0;
  double wall_seconds = 0;

  nlohmann::json ToJson() const;
};

RunFigures ReadRunFigures(const nlohmann::json& summary, int64_t tasks_after_cycle);

}  // namespace kaizen::bench
