// What evaluation scores: a model version that answers validation inputs.
// A builtin-classifier file (.kzm) predicts in-process; an LLM PromptModel file
// (JSON, agents/models/llm/prompt_model.h) is answered by the worker's
// endpoint (spec.worker.skill.openai), with at most its max_concurrency calls
// in flight, tagged "evaluation". The file's own first bytes decide which.
//
// Free-text tasks (PromptModel task "text") are graded by Grader: with
// spec.evaluation.judge an LLM judge scores each answer against the reference
// (0..1, >= pass_score counts as right); without one an answer is right when it
// equals the reference (trimmed, case-insensitive).
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agents/models/llm/chat_client.h"
#include "agents/models/llm/prompt_model.h"
#include "runtime/base/result.h"

namespace kaizen::agents {

class ModelPredictor {
 public:
  virtual ~ModelPredictor() = default;
  // One answer per input, in order; a failed call answers "" (counted wrong).
  virtual std::vector<std::string> PredictAll(const std::vector<std::string>& inputs,
                                              std::atomic<int64_t>* done) = 0;
  virtual bool free_text() const { return false; }
  // LLM usage so far (zero for the builtin classifier).
  virtual models::llm::Usage usage() const { return {}; }
};

// `spec` is the cluster's spec (for worker.skill.openai).
Result<std::unique_ptr<ModelPredictor>> LoadModelPredictor(const std::string& what, const std::string& path,
                                                           const nlohmann::json& spec);

// Marks free-text answers right or wrong against their references.
class Grader {
 public:
  // From spec.evaluation.judge (absent: exact match).
  static Result<std::unique_ptr<Grader>> Create(const nlohmann::json& spec);
  // For each i: whether answers[i] is a right answer to inputs[i] given references[i].
  std::vector<bool> GradeAll(const std::vector<std::string>& inputs, const std::vector<std::string>& references,
                             const std::vector<std::string>& answers);
  models::llm::Usage usage() const { return judge_ ? judge_->TotalUsage() : models::llm::Usage{}; }

  // The judge request for one answer (the test server's judge rule reads it).
  static std::string JudgeRequest(const std::string& input, const std::string& reference, const std::string& answer);
  // The score in a judge reply: {"score": x} or a bare number; nullopt if none.
  static std::optional<double> ParseScore(const std::string& reply);

 private:
  std::unique_ptr<models::llm::ChatClient> judge_;
  std::string system_prompt_;
  double pass_score_ = 0.5;
};

}  // namespace kaizen::agents
