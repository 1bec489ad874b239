// What a trainer child process prints on stdout, one line at a time.
//
// Progress (any of these; other lines are log text and are only kept):
//   progress 0.42 loss 0.31 epoch 2/5          the built-in trainer's form
//   progress 0.42 loss=0.31 lr=2e-5 epoch 2/5  key=value pairs, then a message
//   progress 42% epoch 2/5                     a percentage
//   {"progress": 0.42, "loss": 0.31, "message": "epoch 2/5"}   a JSON object
// The fraction is clamped to [0, 1]; `loss` is optional; other key=value pairs
// (numbers) are reported with the progress.
//
// Result (optional, the last one wins; merged into the model's metrics):
//   result {"final_loss": 0.12, "eval_accuracy": 0.91}
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace kaizen::agents {

// A tool the trainer wrote and tested (tool_creation), for the tool repository.
struct CreatedToolRecord {
  std::string name, spec_sha256, uri, sha256, reason;
  bool accepted = false;
};

struct ProgressUpdate {
  double fraction = 0;
  std::optional<double> loss;
  std::string message;
  std::map<std::string, double> values;  // other key=value pairs
  std::vector<CreatedToolRecord> tools;  // never from a progress line: in-process trainers only
  // In-process trainers only: what a run that failed spent on LLM calls,
  // {who: Usage JSON}; null otherwise (a run that succeeds reports its usage in its metrics).
  nlohmann::json llm_usage;
};

// A progress line, or nothing when the line is not one (or is malformed).
std::optional<ProgressUpdate> ParseProgressLine(const std::string& line);

// The JSON object of a "result {...}" line, or nothing.
std::optional<nlohmann::json> ParseResultLine(const std::string& line);

}  // namespace kaizen::agents
