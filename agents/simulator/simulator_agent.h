// SimulatorAgent: simulated users for a scenario. Sends tasks from a data set
// at a set rate (before the drift point from some domains, after it from
// others), rates each answer 👍 when it matches the gold label (with some
// noise), and when the scenario is over reports its account to the runtime,
// which folds it into the run summary. Answers the worker deferred to a
// teacher (Deferral: TaskResult tags or the gateway's headers) are counted,
// with their cost; so are the tasks sent while a cycle runs.
//
// The scenario ends once total_tasks were sent, no improvement cycle is
// running, and tasks_after_cycle more tasks were sent after the last cycle
// ended (so the result can be measured); max_tasks caps it.
//
// via: bus (the default) sends tasks and ratings to the runtime as bus
// messages. via: gateway sends them as HTTP requests to the gateway
// (GatewayTraffic), the way a real application does: it waits until GET
// /readyz answers 200, then sends at the same rate, with at most
// max_in_flight requests outstanding (tasks due beyond that wait, and are
// counted); the report gains an "http" object. gateway_route picks POST
// /v1/tasks or OpenAI's POST /v1/chat/completions (stream: server-sent
// events). Each cycle's rollout is checked for sticky A/B arms
// (GatewayTraffic counts "arm_flips_back").
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "agents/sdk/agent.h"
#include "agents/simulator/gateway_traffic.h"
#include "agents/simulator/scenario_tally.h"

namespace kaizen::agents {

class SimulatorAgent : public sdk::Agent {
 public:
  Status OnStart() override;

 private:
  struct Item {
    std::string text, label, domain;
  };
  // Examples of the chosen splits and domains, drawn in shuffled passes.
  struct Pool {
    std::vector<Item> items;
    std::vector<size_t> order;
    size_t next = 0;
  };

  Status LoadPools();
  const Item& Draw(Pool& pool);
  void OnTick();
  void SendOne();
  void OnResult(const sdk::Envelope& e);
  // Whether the user rates an answer, and how (true: 👍); nullopt: no rating.
  std::optional<bool> Rate(bool right);
  // via gateway: moves HTTP requests along and takes in the answers.
  void OnPump();
  bool WaitForGateway();
  void OnCycle(const sdk::Envelope& e);
  bool ScenarioOver() const;
  void Finish();

  std::mt19937_64 rng_;
  Pool before_, after_;
  ScenarioTally tally_;
  int64_t started_ms_ = 0;
  uint64_t next_index_ = 1;
  double rate_ = 200;
  uint64_t total_ = 0, drift_at_ = 0, users_ = 1000, tasks_after_cycle_ = 0, max_tasks_ = 0;
  double feedback_rate_ = 1, feedback_noise_ = 0;
  bool cycle_active_ = false;
  bool promoted_ = false;
  int cycles_ended_ = 0;
  uint64_t last_cycle_end_sent_ = 0;
  bool sending_done_ = false;
  int64_t sending_done_ms_ = 0;
  bool reported_ = false;
  bool warned_deferred_cost_ = false;  // a deferred_cost tag that is not a number was logged
  uint64_t tick_timer_ = 0;

  // via gateway
  std::unique_ptr<GatewayTraffic> gateway_;
  bool gateway_started_ = false;  // GET /readyz said 200 and the pace began
  uint64_t max_in_flight_ = 256;
  uint64_t delayed_ = 0, delayed_through_ = 0, max_backlog_ = 0;  // tasks due while max_in_flight were out
  uint64_t pump_timer_ = 0;
};

}  // namespace kaizen::agents
