// What the prompt backend's strategies other than the prompt search share
// (tool_creation, dynamic_examples, reflection: PromptTrainJob.strategy):
// their inputs, scoring a whole model version as it will serve (its tools
// and retrieval included), the labels a candidate lists, and the metrics
// every strategy reports, so that the cycle story reads them all alike.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agents/datagen/dataset_writer.h"
#include "agents/evaluation/model_predictor.h"
#include "agents/models/example.h"
#include "agents/models/llm/chat_client.h"
#include "agents/models/llm/prompt_model.h"
#include "agents/models/llm/prompt_tools.h"
#include "agents/training/prompt_optimizer.h"
#include "agents/training/prompt_trainer.h"
#include "runtime/base/result.h"

namespace kaizen::agents {

struct StrategyTrainingInputs {
  const PromptTrainJob* job = nullptr;
  const models::llm::PromptModel* base = nullptr;
  const std::vector<models::Example>* train = nullptr;
  const std::vector<models::Example>* validation = nullptr;
  // The dataset as written (task ids, teacher, worker answer); read for the strategies, null for the search.
  const std::vector<DatasetRow>* rows = nullptr;
  models::llm::ChatClient* worker = nullptr;
  models::llm::ChatClient* teacher = nullptr;  // null: no teacher (tool_creation cannot run)
  std::string teacher_name;
  // reflection's critic: spec.planning.critic, else the teacher (then the same client); and its name.
  models::llm::ChatClient* critic = nullptr;
  std::string critic_name;
  Grader* grader = nullptr;                    // free-text tasks (its usage goes in the metrics); null: labels
  // How a validation answer is graded (PromptSearchHooks::grade); unset: the label, case and space ignored.
  std::function<Result<double>(const models::Example& row, const std::string& answer)> grade;
  int concurrency = 4;
  int max_validation_rows = 200;
  PromptTrainProgress* progress = nullptr;
  std::function<void(const std::string&)> note;  // the run's log
};

// `model` served with `assets` (tools in the sandbox, retrieval per input)
// on `rows`, scored as the prompt search scores a candidate (ScoreDraft);
// *tool_calls (when given) counts the tool calls its answers made.
CandidateScore ScoreModel(const StrategyTrainingInputs& in, const models::llm::PromptModel& model,
                          const models::llm::PromptAssets& assets, const std::vector<models::Example>& rows,
                          const std::string& tag, std::atomic<int>* tool_calls = nullptr);

// The validation rows a candidate is scored on: the first max_validation_rows.
std::vector<models::Example> ScoredRows(const StrategyTrainingInputs& in);

// For a label task: `labels` followed by the labels of `rows` it does not
// list, in first-seen order (a candidate must be able to answer what the
// data shows); for free text: `labels` unchanged. *added counts the new ones.
std::vector<std::string> LabelsWithData(const std::vector<std::string>& labels, models::llm::TaskKind task,
                                        const std::vector<models::Example>& rows, int* added = nullptr);

// The metrics every strategy reports (RunPromptTraining's keys): backend,
// strategy, baseline and candidate scores, rows, best (the origin), worker
// and teacher calls and usage (for the cycle's LLM accounting), cost and
// seconds. `critic` (reflection) is accounted apart from the teacher.
nlohmann::json StrategyMetrics(const StrategyTrainingInputs& in, const std::string& strategy,
                               const CandidateScore& before, const CandidateScore& after, const std::string& best,
                               std::chrono::steady_clock::time_point started,
                               const models::llm::ChatClient* critic = nullptr, const std::string& critic_name = "");

}  // namespace kaizen::agents
