// WorkerAgent: serves tasks with a skill backend and a model version from the
// registry. The runtime tells it which version to serve (in its settings at
// registration, or by RELOAD_MODEL); with no version yet it trains the initial
// model from its manifest in the background and hands it to the runtime,
// which registers it as the first serving version.
//
// Skill backends (spec.worker.skill.backend): builtin-classifier (a .kzm model
// file, predicted on the poll thread) and openai (a PromptModel JSON file; each
// task is answered by an LLM call on LlmSkill's pool, the answer sent from the
// poll loop; a drain waits for calls in flight). The initial "training" of an
// openai skill writes the prompt built from the manifest (prompt_config.h).
//
// Commands: RELOAD_MODEL {"version","uri","sha256"} swaps the model between two
// tasks; IMPROVE reports `improving` (a clone serves meanwhile); SERVE returns
// to `idle`. Answers go to the runtime's router: one TaskResult per Task.
#pragma once

#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "agents/models/llm/prompt_model.h"
#include "agents/models/text_classifier.h"
#include "agents/sdk/agent.h"
#include "agents/worker/llm_skill.h"

namespace kaizen::agents {

class WorkerAgent : public sdk::Agent {
 public:
  Status OnStart() override;
  void OnDrain() override;

 private:
  struct Trained {
    Status status;
    std::string uri, sha256, metrics_json;
    std::shared_ptr<const models::TextClassifier> model;
    std::shared_ptr<const models::llm::PromptModel> prompt;  // openai backend
  };

  void OnTask(const sdk::Envelope& e);
  void OnCommand(const sdk::Envelope& e);
  Status LoadModel(const std::string& version, const std::string& uri, const std::string& sha256);
  void StartInitialTraining();
  void PollInitialTraining();
  void OnLlmTask(const sdk::Envelope& e);
  void SendLlmAnswers();
  std::string ServingDetail() const;

  std::shared_ptr<const models::TextClassifier> model_;
  std::optional<std::future<Trained>> training_;
  uint64_t training_timer_ = 0;
  std::string registration_id_;  // message id of the ModelReady that registers the initial model
  std::optional<Trained> pending_;
  bool improving_ = false;
  uint64_t served_ = 0;

  // openai backend: answers computed on LlmSkill's threads wait here (request,
  // reply) until the poll loop sends them.
  std::unique_ptr<LlmSkill> llm_;
  std::mutex answers_mu_;
  std::vector<std::pair<sdk::Envelope, sdk::Envelope>> answers_;
  int llm_in_flight_ = 0;  // poll thread only
  bool draining_ = false;
};

}  // namespace kaizen::agents
