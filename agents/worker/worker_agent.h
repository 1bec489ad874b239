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
//
// Deferral (spec.worker.defer, builtin-classifier only): once the worker has a
// model it prepares the teacher in the background (TeacherCalls) and serves
// undeferred until it is ready. DeferralPolicy picks the tasks the teacher
// answers instead; the teacher's answer comes back to the poll loop (Post) and
// is sent from there, so each task is answered once, by the teacher or (when
// the teacher fails or answers "") with the worker's own answer. A deferred
// TaskResult has output = the teacher's answer, confidence = the worker's, and
// the tags deferred = teacher name, deferred_cost = that call's cost,
// worker_answer and worker_confidence (decimal strings).
#pragma once

#include <chrono>
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
#include "agents/worker/deferral_policy.h"
#include "agents/worker/llm_skill.h"
#include "agents/worker/teacher_calls.h"

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
  void MaybeFinishDrain();

  // Deferral: set up from the settings; the teacher is prepared once a model serves.
  void SetUpDeferral();
  void StartTeacher();
  void PollTeacher();
  // Hands the task to the teacher when the policy says so; then `reply` (the
  // worker's own answer) is moved and sent once the teacher answers.
  bool TryDefer(const sdk::Envelope& e, sdk::Envelope& reply, std::chrono::steady_clock::time_point t0);
  void FinishDeferred(const sdk::Envelope& e, sdk::Envelope reply, TeacherAnswer answer, double charged,
                      std::chrono::steady_clock::time_point t0);

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

  // spec.worker.defer (poll thread only, but for TeacherCalls' own threads).
  std::optional<DeferralPolicy> deferral_;
  std::optional<TeacherSpec> deferral_teacher_;
  std::string deferral_note_;  // why deferral is off or not ready, for the state detail
  uint64_t teacher_timer_ = 0;
  int deferred_in_flight_ = 0;
  int64_t teacher_failures_ = 0;
  // Last member: destroyed first, so its threads end before the rest goes.
  std::unique_ptr<TeacherCalls> teacher_;
};

}  // namespace kaizen::agents
