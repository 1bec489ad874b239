#include "agents/worker/llm_skill.h"

#include <chrono>

namespace kaizen::agents {

using json = nlohmann::json;
namespace llm = models::llm;

Result<std::unique_ptr<LlmSkill>> LlmSkill::Create(const json& worker_settings) {
  const json skill = worker_settings.value("skill", json::object());
  if (!skill.contains("openai")) {
    return Status::InvalidArgument("spec.worker.skill.openai is missing (the openai backend needs base_url and model)");
  }
  auto config = llm::ChatConfigFromJson(skill["openai"], "spec.worker.skill.openai");
  if (!config.ok()) return config.status();
  const int threads = config->max_concurrency;
  auto client = llm::ChatClient::Create(*config);
  if (!client.ok()) return client.status().WithContext("spec.worker.skill.openai");
  return std::unique_ptr<LlmSkill>(new LlmSkill(std::move(*client), threads));
}

LlmSkill::LlmSkill(std::unique_ptr<llm::ChatClient> client, int threads)
    : client_(std::move(client)), pool_(threads) {}

LlmSkill::~LlmSkill() = default;

void LlmSkill::SetModel(std::shared_ptr<const llm::PromptModel> model, llm::PromptAssets assets) {
  auto shared_assets = std::make_shared<const llm::PromptAssets>(std::move(assets));
  std::lock_guard<std::mutex> lock(mu_);
  model_ = std::move(model);
  assets_ = std::move(shared_assets);
}

std::shared_ptr<const llm::PromptModel> LlmSkill::model() const {
  std::lock_guard<std::mutex> lock(mu_);
  return model_;
}

void LlmSkill::Submit(std::string input, std::function<void(LlmAnswer)> done) {
  std::shared_ptr<const llm::PromptModel> model;
  std::shared_ptr<const llm::PromptAssets> assets;
  {
    std::lock_guard<std::mutex> lock(mu_);
    model = model_;
    assets = assets_;
  }
  auto job = [this, model, assets, input = std::move(input), done = std::move(done)] {
    LlmAnswer a;
    const auto t0 = std::chrono::steady_clock::now();
    if (!model) {
      a.status = Status::FailedPrecondition("no model loaded yet");
    } else {
      auto reply = llm::CompleteWithTools(*client_, *model, *assets, input, "serve", &a.tool_calls);
      if (!reply.ok()) {
        a.status = reply.status();
      } else if (model->task == llm::TaskKind::kLabel) {
        auto label = llm::ParseLabel(reply->text, model->labels);
        a.output = label.ok() ? *label : reply->text;
        a.confidence = label.ok() ? 1.0 : 0.0;
      } else {
        auto text = llm::ParseText(reply->text);
        a.output = text.ok() ? *text : "";
        a.confidence = text.ok() ? 1.0 : 0.0;
      }
    }
    a.latency_us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count();
    done(std::move(a));
  };
  pool_.Post(std::move(job));
}

}  // namespace kaizen::agents
