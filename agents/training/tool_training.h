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

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agents/evaluation/model_predictor.h"
#include "agents/models/example.h"
#include "agents/models/llm/chat_client.h"
#include "agents/models/llm/prompt_model.h"
#include "agents/training/prompt_trainer.h"
#include "runtime/base/result.h"

namespace kaizen::agents {

struct ToolTrainingInputs {
  const PromptTrainJob* job = nullptr;
  const models::llm::PromptModel* base = nullptr;
  const std::vector<models::Example>* train = nullptr;
  const std::vector<models::Example>* validation = nullptr;
  models::llm::ChatClient* worker = nullptr;
  models::llm::ChatClient* teacher = nullptr;  // null: tool_creation cannot run
  std::string teacher_name;
  Grader* grader = nullptr;                    // free-text tasks (its usage goes in the metrics); null: labels
  // How a validation answer is graded (PromptSearchHooks::grade); unset: the label, case and space ignored.
  std::function<Result<double>(const models::Example& row, const std::string& answer)> grade;
  int concurrency = 4;
  int max_validation_rows = 200;
  PromptTrainProgress* progress = nullptr;
  std::function<void(const std::string&)> note;  // the run's log
};

// Writes the candidate to job.output_path and returns the metrics (as
// RunPromptTraining's, with "strategy": "tool_creation" and "tool").
Result<nlohmann::json> RunToolTraining(const ToolTrainingInputs& in);

}  // namespace kaizen::agents
