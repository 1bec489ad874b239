// TrainingAgent: answers the runtime's TrainRequest with a ModelReady.
//
// Every backend trains in a child process (TrainerProcess), so a crash or a
// runaway run cannot take the agent down: the agent polls it every 100 ms,
// turns its progress lines into TrainProgress messages to the runtime and its
// state detail, kills it after training.timeout_s, starts it again when
// something else killed it (training.retries: the OOM killer, an operator),
// and answers an Error with the last log lines when it fails. The log is kept at
// <state_dir>/logs/train-<output_version>.log.
//   builtin: `kaizen train-model` (this binary) trains the built-in classifier.
//   command: the user's command template (command_trainer.h).
//   prompt: a prompt search for an LLM worker (prompt_trainer.h), on a thread
//           of this agent instead: it is HTTP calls, stopped by a cancel flag.
#pragma once

#include <future>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agents/sdk/agent.h"
#include "runtime/base/result.h"

namespace kaizen::agents {

class TrainingAgent : public sdk::Agent {
 public:
  TrainingAgent();
  ~TrainingAgent() override;  // kills a child still running
  Status OnStart() override;
  void OnDrain() override;

 private:
  struct Run;
  void OnTrainRequest(const sdk::Envelope& request);
  Status StartBuiltin(Run& run, const std::string& base, const std::string& dataset);
  Status StartCommand(Run& run, const std::string& base, const std::string& dataset);
  Status StartPrompt(Run& run, const std::string& base, const std::string& dataset);
  void Poll();
  void PollPrompt();
  void StopRun();  // kills the child or cancels the prompt search
  void OnLine(const std::string& line);
  // The trainer was killed from outside (not by our timeout): run it again from scratch.
  void Retry(const std::string& how);
  void Finish();
  void Fail(v1::Error::Code code, const std::string& message);
  void ReplyError(const sdk::Envelope& request, v1::Error::Code code, const std::string& message);

  std::unique_ptr<Run> run_;
  // Prompt searches told to stop but still finishing their calls in flight.
  std::vector<std::future<Result<nlohmann::json>>> abandoned_;
  std::map<std::string, sdk::Envelope> answered_;  // cycle/output version -> the reply sent, for re-sent requests
};

}  // namespace kaizen::agents
