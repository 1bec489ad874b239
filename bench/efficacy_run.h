// One run of a scenario manifest through the kaizen binary, from a fresh
// state dir: `kaizen validate`, then `kaizen up MANIFEST --state-dir DIR/state
// --summary-json DIR/summary.json` in the foreground until the scenario is
// over. Only the process it started is stopped (SIGTERM, then SIGKILL), on a
// timeout too; the agents under it die with it (they are spawned with
// PR_SET_PDEATHSIG).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "runtime/base/result.h"
#include "runtime/base/status.h"

namespace kaizen::bench {

struct ScenarioRun {
  nlohmann::json summary;  // the run summary
  double wall_seconds = 0; // of `kaizen up`, start to exit
};

// `kaizen validate FILE`: OK, or InvalidArgument with what it printed (the
// file:line:column and the key it refuses).
Status ValidateManifest(const std::string& kaizen, const std::string& manifest_path, const std::string& dir);

// Writes `manifest_text` to DIR/manifest.yaml and runs it (DIR exists and is
// empty). The summary, or why there is none: the exit status, a timeout, the
// last lines of DIR/up.out.
Result<ScenarioRun> RunScenario(const std::string& kaizen, const std::string& dir, const std::string& manifest_text,
                                int timeout_s);

}  // namespace kaizen::bench
