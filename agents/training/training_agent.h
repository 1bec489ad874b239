// TrainingAgent: answers the runtime's TrainRequest with a ModelReady.
//
// The builtin backend runs `kaizen train-model` (this same binary) as a child
// process, so a crash or a runaway run cannot take the agent down: the agent
// polls it every 100 ms, turns its "progress" lines into TrainProgress
// messages to the runtime and its state detail, kills it after timeout_s, and
// answers an Error with the last log lines when it fails. Backends "command"
// and "prompt" answer an Error (not available yet).
#pragma once

#include <map>
#include <memory>
#include <string>

#include "agents/sdk/agent.h"

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
  void Poll();
  void ReadLog();
  void OnLine(const std::string& line);
  void Finish(int wait_status);
  void Fail(v1::Error::Code code, const std::string& message);
  void KillChild();
  void ReplyError(const sdk::Envelope& request, v1::Error::Code code, const std::string& message);

  std::unique_ptr<Run> run_;
  std::map<std::string, sdk::Envelope> answered_;  // cycle/output version -> the reply sent, for re-sent requests
};

}  // namespace kaizen::agents
