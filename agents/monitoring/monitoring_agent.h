// MonitoringAgent: watches task results and feedback; decides when to
// improve and what degraded. The decision itself is TriggerEngine's; this
// agent feeds it from the bus ("task_result", "feedback", "cycle_transition")
// and sends its triggers to the runtime.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>

#include "agents/monitoring/trigger_engine.h"
#include "agents/sdk/agent.h"

namespace kaizen::agents {

class MonitoringAgent : public sdk::Agent {
 public:
  Status OnStart() override;

 private:
  // What monitoring remembers of a task until its feedback arrives.
  struct TaskInfo {
    std::string output, model_version;
    std::map<std::string, std::string> tags;
  };
  static constexpr size_t kMaxTasks = 100000;

  void OnTaskResult(const sdk::Envelope& e);
  void OnFeedback(const sdk::Envelope& e);
  void OnCycleTransition(const sdk::Envelope& e);
  void SendTrigger(const v1::Trigger& t);
  void ReportState();

  std::unique_ptr<TriggerEngine> engine_;
  std::unordered_map<std::string, TaskInfo> tasks_;
  std::deque<std::string> task_order_;  // oldest first, bounds tasks_
  std::string last_detail_;
};

}  // namespace kaizen::agents
