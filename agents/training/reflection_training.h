// The prompt backend's reflection strategy (PromptTrainJob.strategy): a
// critic model reads the cycle's failures and writes short lessons, each
// citing the task ids it came from (agents/memory/lessons.h); they are merged
// into the incumbent's lessons, bounded, and stored as a lesson memory
// artifact that the candidate pins by hash. Serving, the worker puts the
// lessons relevant to each input in its system prompt (prompt_retrieval.h).
//
// The critic: spec.planning.critic (an OpenAI-compatible endpoint), else the
// teacher. Failures: the dataset's train rows of this cycle (not carried
// ones) that the worker answered wrongly or that a person corrected,
// grouped by category (the rows' first tag, "domain=travel"; "all" without
// tags): one critic call per category, the largest first, at most
// kMaxCriticCategories, each shown training.prompt.max_failures_shown lines
//   - [TASK_ID] "TEXT" -> EXPECTED (it answered X)
// Lessons that cite no shown task, are empty or too long are refused
// (noted); a run where every lesson is refused fails with the critic's
// reasons, so a cycle never evaluates an empty memory.
//
// Bounds: training.prompt.max_lessons, max_memory_tokens and
// max_lesson_tokens (MergeLessons); lessons_per_input lessons are shown for
// an input. Labels the failures show that the prompt does not list are
// added. The candidate and the incumbent are scored on the validation rows.
#pragma once

#include <nlohmann/json.hpp>

#include "agents/training/strategy_training.h"
#include "runtime/base/result.h"

namespace kaizen::agents {

inline constexpr int kMaxCriticCategories = 8;

// The critic's request for one category's failures (the user message).
std::string CriticRequest(const std::string& category, const std::vector<DatasetRow>& failures, int max_shown);

// Writes the candidate to job.output_path and returns the metrics
// (StrategyMetrics, with "lessons").
Result<nlohmann::json> RunReflectionTraining(const StrategyTrainingInputs& in);

}  // namespace kaizen::agents
