// WorkerAgent: serves tasks with a skill backend and a model version from the
// registry. The runtime tells it which version to serve (in its settings at
// registration, or by RELOAD_MODEL); with no version yet it trains the initial
// model from its manifest in the background and hands it to the runtime,
// which registers it as the first serving version.
//
// Commands: RELOAD_MODEL {"version","uri","sha256"} swaps the model between two
// tasks; IMPROVE reports `improving` (a clone serves meanwhile); SERVE returns
// to `idle`. Answers go to the runtime's router: one TaskResult per Task.
#pragma once

#include <future>
#include <memory>
#include <optional>
#include <string>

#include "agents/models/text_classifier.h"
#include "agents/sdk/agent.h"

namespace kaizen::agents {

class WorkerAgent : public sdk::Agent {
 public:
  Status OnStart() override;

 private:
  struct Trained {
    Status status;
    std::string uri, sha256, metrics_json;
    std::shared_ptr<const models::TextClassifier> model;
  };

  void OnTask(const sdk::Envelope& e);
  void OnCommand(const sdk::Envelope& e);
  Status LoadModel(const std::string& version, const std::string& uri, const std::string& sha256);
  void StartInitialTraining();
  void PollInitialTraining();
  std::string ServingDetail() const;

  std::shared_ptr<const models::TextClassifier> model_;
  std::optional<std::future<Trained>> training_;
  uint64_t training_timer_ = 0;
  std::string registration_id_;  // message id of the ModelReady that registers the initial model
  std::optional<Trained> pending_;
  bool improving_ = false;
  uint64_t served_ = 0;
};

}  // namespace kaizen::agents
