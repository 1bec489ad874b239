// The prompt backend's tool_creation strategy (PromptTrainJob.strategy): the
// teacher writes a tool for the cycle's failures (tool_creation.h), and the
// candidate is the incumbent's prompt offering that tool too. A tool that
// fails its tests ends the training with the reason: the cycle never
// evaluates a candidate with a tool that did not pass. Accepted or rejected,
// the tool is reported on the progress queue for the tool repository.
//
// The failures are the dataset's train rows (what datagen bought for the
// diagnosed categories, with the teacher's or people's answers). The
// candidate and the incumbent are both scored on the validation rows, tools
// run in the sandbox, so the metrics say what the tool is worth before
// evaluation judges it.
#pragma once

#include <nlohmann/json.hpp>

#include "agents/training/strategy_training.h"
#include "runtime/base/result.h"

namespace kaizen::agents {


// Writes the candidate to job.output_path and returns the metrics (as
// RunPromptTraining's, with "strategy": "tool_creation" and "tool").
Result<nlohmann::json> RunToolTraining(const StrategyTrainingInputs& in);

}  // namespace kaizen::agents
