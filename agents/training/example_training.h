// The prompt backend's dynamic_examples strategy (PromptTrainJob.strategy):
// instead of one fixed set of few-shot examples, the candidate shows, for
// each input, the k labelled examples most like it (BM25,
// agents/memory/example_retrieval.h), drawn from a pool artifact
// (agents/memory/memory_artifact.h) that the version pins by hash.
//
// The pool: the incumbent's pool, its fixed examples and the dataset's train
// rows, one per input, with people's corrections (rows whose teacher is
// "human:...") replacing any other label of the same input. Validation rows
// are never in it. The fixed examples move into the pool (a shorter prompt
// per call), unless the prompt change is bounded (spec.planning.bounds), in
// which case they stay as they are. Labels the train rows show that the
// prompt does not list are added, so the candidate can answer them.
//
// Candidates: k = training.prompt.retrieved_examples and half of it, scored
// with the incumbent on the validation rows; the best (the smaller k on a
// tie) is written. Its k is reported as the "shots" parameter, which
// spec.planning.bounds.parameter_ranges.shots bounds.
#pragma once

#include <nlohmann/json.hpp>

#include "agents/training/strategy_training.h"
#include "runtime/base/result.h"

namespace kaizen::agents {

// Writes the candidate to job.output_path and returns the metrics
// (StrategyMetrics, with "example_pool" and "candidates").
Result<nlohmann::json> RunExampleTraining(const StrategyTrainingInputs& in);

}  // namespace kaizen::agents
