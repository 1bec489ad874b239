// The edits that make manifests/llm-intent.yaml a shorter run against the
// OpenAI-compatible test server on `port`, for the LLM end-to-end tests.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace kaizen::testing {

inline std::vector<std::pair<std::string, std::string>> LlmIntentReducedEdits(int port) {
  const std::string src = KAIZEN_SOURCE_DIR;
  return {{"http://127.0.0.1:8089/v1", "http://127.0.0.1:" + std::to_string(port) + "/v1"},
          {"path: data/clinc150.jsonl", "path: " + src + "/manifests/data/clinc150.jsonl"},
          {"state_dir: .kaizen/llm-intent\n", ""},
          {"heartbeat: {interval_ms: 500, liveness: 4}", "heartbeat: {interval_ms: 200, liveness: 10}"},
          {"teacher_budget: {max_calls: 1500", "teacher_budget: {max_calls: 1000"},
          // A slow shared CI machine serves an LLM worker slower than the demo's rate.
          {"rate_per_s: 100\n", "rate_per_s: 50\n"},
          {"total_tasks: 6000", "total_tasks: 2500"},
          {"drift_at_task: 2000", "drift_at_task: 800"},
          {"tasks_after_cycle: 2000", "tasks_after_cycle: 400"},
          // One A/B step: at 50 tasks/s a 10% step needs 20 s to give the candidate 100 samples.
          {"steps: [0.1, 0.5]", "steps: [0.5]"},
          {"min_samples_per_step: 150", "min_samples_per_step: 100"},
          {"max_validation_rows: 200", "max_validation_rows: 150"}};
}

}  // namespace kaizen::testing
