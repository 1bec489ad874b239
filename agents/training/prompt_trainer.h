// The `prompt` training backend: a new PromptModel version for an LLM worker
// (agents/models/llm/prompt_model.h), found by SearchPrompt
// (prompt_optimizer.h): the worker's own endpoint (spec.worker.skill.openai)
// answers the validation rows under each candidate prompt, and a teacher's
// endpoint (training.prompt.teacher, else the first openai teacher) rewrites
// the instructions from the failures.
//
// It runs on a thread of the training agent rather than in a child process:
// the work is HTTP calls, which a cancel flag stops between calls (the calls
// in flight end within their openai.timeout_ms). Progress goes to the run's
// log (<state_dir>/logs/train-<version>.log) as lines of the documented
// progress format and to a queue the agent drains into TrainProgress events.
#pragma once

#include <atomic>
#include <deque>
#include <mutex>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "agents/training/progress_line.h"
#include "agents/training/prompt_optimizer.h"
#include "runtime/base/result.h"

namespace kaizen::agents {

struct PromptTrainJob {
  std::string base_model_path;  // the incumbent's PromptModel file
  std::string base_version;
  std::string dataset_path;     // the cycle's dataset (rows with split train / validation)
  std::string output_path;      // where the new PromptModel is written
  std::string version;          // the output version
  std::string cycle_id;
  std::string log_path;
  nlohmann::json spec;          // the manifest's spec (worker.skill.openai, teachers)
  nlohmann::json prompt;        // training.prompt
  // The prompt change bounds (TrainJob): candidates outside them are fitted
  // or skipped; unset: not bounded.
  std::optional<double> max_prompt_change, max_drift_from_anchor;
  std::string anchor_version, anchor_path;
  // "tool_creation": the teacher writes a tool for the failures instead
  // (tool_training.h); "dynamic_examples": examples retrieved per input
  // (example_training.h); "reflection": lessons a critic writes from the
  // failures (reflection_training.h); anything else: the prompt search.
  std::string strategy;
  std::string tools_dir;        // where tool artifacts are written (<state_dir>/artifacts/tools)
  std::string memory_dir;       // where example pools and lesson memories are written (<state_dir>/artifacts/memory)
};

// Progress shared between the training thread and the agent.
struct PromptTrainProgress {
  struct Event {
    double fraction = 0;
    std::string message;
    std::vector<CreatedToolRecord> tools;  // tools written and tested, for the repository
    nlohmann::json llm_usage;              // a run that failed: its calls, {who: Usage JSON}
  };
  std::mutex mu;
  std::deque<Event> events;
  std::atomic<bool> cancel{false};
};

// Writes the best PromptModel to job.output_path and returns the metrics:
// {"backend": "prompt", "baseline_score", "candidate_score", "validation_rows",
//  "best": <origin>, "candidates": [{origin, score, correct, rows, errors}],
//  "worker_calls", "teacher_calls", "teacher", "usage": {"worker": {...}, "teacher": {...}},
//  "cost", "notes": [...]}
// InvalidArgument for a job that cannot run (no openai worker, no validation
// rows, a base model that is not a PromptModel); Unavailable when
// progress.cancel was set. A run that fails after its clients exist puts
// what they spent on the progress queue (Event::llm_usage) before returning. Free-text tasks are graded like evaluation grades
// them (Grader: spec.evaluation.judge, else exact match).
Result<nlohmann::json> RunPromptTraining(const PromptTrainJob& job, PromptTrainProgress& progress);

}  // namespace kaizen::agents
