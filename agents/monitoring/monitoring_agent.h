// MonitoringAgent: watches task results and feedback; decides when to
// improve and what degraded. The decision itself is TriggerEngine's; this
// agent feeds it from the bus ("task_result", "feedback", "cycle_transition")
// and sends its triggers to the runtime.
//
// On start it first replays the journal (JournalReplay), holding live events
// meanwhile, so a restarted monitoring agent keeps the served version's
// baseline and the detectors' recent state instead of learning a drift as
// normal. Triggers the replay fires are history and are not sent.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "agents/monitoring/journal_replay.h"
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
    uint64_t seq = 0;  // journal seq of the result
  };
  static constexpr size_t kMaxTasks = 100000;
  static constexpr size_t kMaxHeld = 200000;  // live events held while replaying

  void OnTaskResult(const sdk::Envelope& e);
  // A feedback or cycle_transition event, live or replayed.
  void OnLive(const sdk::Envelope& e);
  void Feed(const sdk::Envelope& e, bool replayed);
  std::optional<v1::Trigger> Rate(const v1::Feedback& f, uint64_t seq, int64_t now_ms);
  void SendTrigger(const v1::Trigger& t);
  void ReportState();

  void SendReplayRequest();
  void OnReplayBatch(const sdk::Envelope& e);
  void OnRuntimeError(const sdk::Envelope& e);
  void FinishReplay(const std::string& why);

  std::unique_ptr<TriggerEngine> engine_;
  std::unordered_map<std::string, TaskInfo> tasks_;
  std::deque<std::string> task_order_;  // oldest first, bounds tasks_
  std::string last_detail_;

  std::unique_ptr<JournalReplay> replay_;  // set until the replay is over
  std::string replay_id_;                  // the request waiting for its answer
  int64_t replay_sent_ms_ = 0, replay_started_ms_ = 0;
  int replay_failures_ = 0;
  int64_t replay_fired_ = 0;               // triggers the replay fired (not sent)
  std::vector<sdk::Envelope> held_;        // live events that came during the replay
  uint64_t held_dropped_ = 0;
};

}  // namespace kaizen::agents
