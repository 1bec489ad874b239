// LlmSkill: the worker's `openai` skill backend. Serves each task by calling
// an OpenAI-compatible endpoint with the current PromptModel version
// (agents/models/llm/prompt_model.h), the tools it offers, run in the
// sandbox, and what it retrieves per input (agents/models/llm/prompt_tools.h). Calls run on a pool of
// openai.max_concurrency threads so that a slow LLM never blocks the agent's
// poll loop (heartbeats, commands); the ChatClient's limits, retries and
// usage accounting apply. Usage is tagged "serve".
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agents/models/llm/chat_client.h"
#include "agents/models/llm/prompt_model.h"
#include "agents/models/llm/prompt_tools.h"
#include "agents/sdk/thread_pool.h"
#include "runtime/base/result.h"

namespace kaizen::agents {

struct LlmAnswer {
  Status status;          // a failed call (after retries)
  std::string output;     // the label (or free text); the raw reply when it is not a label of the set
  double confidence = 0;  // 1 for a label of the set or free text, 0 for a reply that is not a label
  int64_t latency_us = 0;
  std::vector<models::llm::ToolCallTrace> tool_calls;  // the tools it called on the way
};

class LlmSkill {
 public:
  // From the worker's settings: skill.openai (required).
  static Result<std::unique_ptr<LlmSkill>> Create(const nlohmann::json& worker_settings);
  ~LlmSkill();  // waits for calls in flight
  LlmSkill(const LlmSkill&) = delete;
  LlmSkill& operator=(const LlmSkill&) = delete;

  // Swaps the prompt (and its tools and retrieval, loaded by LoadPromptAssets) between two
  // calls; calls in flight finish with the old ones.
  void SetModel(std::shared_ptr<const models::llm::PromptModel> model, models::llm::PromptAssets assets = {});
  std::shared_ptr<const models::llm::PromptModel> model() const;

  // Answers on a pool thread; `done` runs on that thread.
  void Submit(std::string input, std::function<void(LlmAnswer)> done);

  models::llm::Usage usage() const { return client_->TotalUsage(); }

 private:
  LlmSkill(std::unique_ptr<models::llm::ChatClient> client, int threads);

  std::unique_ptr<models::llm::ChatClient> client_;
  mutable std::mutex mu_;  // guards model_ and assets_
  std::shared_ptr<const models::llm::PromptModel> model_;
  std::shared_ptr<const models::llm::PromptAssets> assets_ = std::make_shared<const models::llm::PromptAssets>();
  sdk::ThreadPool pool_;  // last: its threads stop before client_ goes
};

}  // namespace kaizen::agents
