// Runtime: the coordinator of one cluster. Owns the bus broker, the store,
// the supervisor and the agent table, on a single-threaded poll loop.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "config/manifest.h"
#include "runtime/base/signal_fd.h"
#include "runtime/bus/broker.h"
#include "runtime/bus/cluster_keys.h"
#include "runtime/controller/cycle_controller.h"
#include "runtime/core/flood_guard.h"
#include "runtime/core/human_requests.h"
#include "runtime/core/journal.h"
#include "runtime/core/state_dir.h"
#include "runtime/cycle/cycle_record.h"
#include "runtime/metrics/metrics_registry.h"
#include "runtime/metrics/metrics_server.h"
#include "runtime/router/replica_picker.h"
#include "runtime/router/task_router.h"
#include "runtime/router/traffic_policy.h"
#include "runtime/store/store.h"
#include "runtime/supervisor/supervisor.h"

namespace kaizen::core {

// The runtime's own identity on the bus: the sender of what it sends, the
// recipient of requests to it.
inline constexpr const char* kRuntimeId = "runtime";

class Runtime {
 public:
  struct Options {
    std::string agent_executable;                       // the kaizen binary agents run as
    std::function<void(const Status&)> on_ready;        // called once: bound and agents started, or why not
    // Called once when a traffic source reports its scenario over, with the
    // run summary (also written to <state_dir>/summary.json).
    std::function<void(const nlohmann::json& summary)> on_scenario_done;
  };

  Runtime(config::Manifest manifest, Options options);
  ~Runtime();

  // Runs until `kaizen down`, SIGTERM or SIGINT, then drains and stops every
  // agent. Returns OK after a clean stop.
  Status Run();

 private:
  struct AgentEntry {
    std::string id, role;
    bool supervised = true;
    v1::AgentState state = v1::AGENT_STATE_STOPPED;
    std::string detail, model_version;
    int64_t pid = 0;
    int restarts = 0;
    bool connected = false;
    bool exited = false;  // the supervisor saw its process end, and has not started it again
    int64_t epoch = 0;    // when it last registered (wall ms, strictly increasing): a new process
    int64_t last_seen_mono = 0, last_seen_wall = 0, spawned_mono = 0;
    std::string settings_json;
    std::string clone_of;           // a worker clone: the worker it clones
    config::Placement placement = config::Placement::kFork;
    std::string job_id, node;       // slurm: its job and node; external: node is the host it said hello from
    int64_t detail_logged_mono = 0;  // when a same-state detail update last went to the log at info
  };
  using ReplyHandler = std::function<void(const bus::Envelope& reply)>;

  Status Start();
  void Loop();
  void Finish();
  void BeginShutdown(const std::string& reason);
  // Agents with placement external still finishing their work after DRAIN, within the grace.
  bool ExternalAgentsDraining(int64_t now) const;
  void OnTick(int64_t now);

  // Control traffic.
  void OnControl(bus::Broker::Incoming& in);
  void OnHello(bus::Broker::Incoming& in);
  void OnStateChange(AgentEntry& agent, const v1::StateChange& sc);
  void OnStatusRequest(const bus::Broker::Incoming& in);
  void OnReplayRequest(const bus::Broker::Incoming& in);
  void OnCommand(const bus::Broker::Incoming& in);
  void Forward(bus::Broker::Incoming& in);
  void ReplyError(const bus::Broker::Incoming& in, v1::Error::Code code, const std::string& message);
  bool KnownPeer(const std::string& identity) const;

  // Agents and supervision.
  void OnChildEvent(const supervisor::ChildEvent& ev);
  void ApplyState(AgentEntry& agent, v1::AgentState to, const std::string& detail);
  void CheckLiveness(int64_t now);
  void RecordClusterEvent(const std::string& what, const std::string& detail, const std::string& agent_id = "");
  void PersistAgent(const AgentEntry& agent);
  std::string WelcomeSettings(const AgentEntry& agent) const;
  Status StartAgentProcess(const AgentEntry& agent, const config::RestartSpec& restart);
  // Sends a command to an agent; `on_reply` gets its Ack or Error (or
  // nothing if it never answers). With `settle_if_gone`, an agent that exits
  // or is lost before answering settles it with an UNAVAILABLE Error (a
  // replica of an arm: it loads its assignment when it comes back).
  void SendCommand(const std::string& agent_id, v1::Command::Kind kind, const std::string& argument,
                   const std::string& reason, ReplyHandler on_reply = nullptr, bool settle_if_gone = false);
  void SettleRepliesOf(const std::string& agent_id, const std::string& why);
  bool TakeReply(const bus::Envelope& reply);  // true if it answered a pending runtime request

  // Tasks: the router (runtime_tasks.cc).
  void OnTask(const bus::Broker::Incoming& in);
  void OnTaskResult(const bus::Broker::Incoming& in);
  void OnFeedback(const bus::Broker::Incoming& in);
  void SendAckAfterCommit(const bus::Broker::Incoming& in, const std::string& detail);
  void UpdateRetainedSince();  // retained_since_ms_ from the oldest task kept
  void RestoreTasks();  // pending tasks from the store, after a restart
  void SendStoredAnswer(const bus::Broker::Incoming& in, const std::string& task_id);
  bool CanServe(const std::string& instance) const;
  void InstanceGone(const std::string& instance);
  // Worker replicas (worker.replicas, worker.clone_replicas). An arm is named
  // by its first replica's id (worker_id_, clone_id_); the traffic policy
  // and the cycle controller see arms, the router sends to replicas.
  std::vector<std::string> ReplicasOf(const std::string& arm) const;
  const std::string& ArmOf(const std::string& instance) const;
  bool ArmCanServe(const std::string& arm) const;
  // A worker instance died or stopped answering: its tasks go elsewhere, and
  // the controller hears of its arm once no replica of it is left serving.
  void WorkerLost(const std::string& instance, const std::string& detail);
  nlohmann::json RouterJson() const;

  // Label requests from datagen to people (runtime_human.cc).
  void OnPersonAttached(const std::string& person);
  void OnLabelRequest(const bus::Broker::Incoming& in);
  void OnLabelAnswer(const bus::Broker::Incoming& in);
  void OnRequestClosed(const bus::Broker::Incoming& in);
  void PublishClosed(const std::string& cycle_id, const v1::RequestClosed& closed);
  void HumanTick(int64_t now_mono);

  // Models and the improvement cycle (runtime_cycle.cc): the cycle itself is
  // the controller's (runtime/controller/cycle_controller.h); this runtime is
  // its host (CycleHostImpl) and hands it what the bus brings.
  class CycleHostImpl;
  void StartCycleController();
  void LoadRegistry();
  // The drift anchor (spec.planning.bounds.max_drift_from_anchor): the last
  // `kaizen anchor set`, read back from its audit entry, else the first model.
  void LoadAnchor();
  void OnSetAnchor(const bus::Broker::Incoming& in, const v1::Command& cmd);
  void OnInitialModel(const bus::Broker::Incoming& in);
  void OnTrigger(const bus::Broker::Incoming& in);
  void OnCycleReply(const bus::Broker::Incoming& in);
  void OnTrafficSplit(const bus::Broker::Incoming& in);
  void OnApprovalDecision(const bus::Broker::Incoming& in);
  void OnScenarioReport(const bus::Broker::Incoming& in);
  // The dataset URI of the promoted cycle whose candidate was `version`; "" when no cycle made it.
  std::string DatasetThatMade(const std::string& version) const;
  Result<std::string> NextModelVersion() const;
  // The clone: started serving `model`; drained (no new tasks, stopped once idle). Both idempotent.
  void StartClone(const cycle::ModelRef& model);
  void DrainClone();
  bool CloneProcessesRunning() const;  // some clone replica has a process
  void CycleTick(int64_t now);
  nlohmann::json Summary() const;
  // One decision of the cycle in one transaction (runtime_decision.cc): OK, or
  // why nothing of it was kept. Crash points "<what>:written" and
  // "<what>:committed" (base/crash_point.h) for the fault tests.
  Status CommitDecision(const controller::Decision& d);

  // Metrics (runtime_metrics.cc): spec.runtime.metrics serves them over HTTP.
  Status StartMetrics();
  void PublishMetrics();  // a snapshot for the HTTP thread; once per tick
  void CountAnswer(const v1::TaskResult& result, const v1::Task& task);
  void CountFeedback(const v1::Feedback& feedback);
  void CountTransition(const cycle::CycleRecord& c, v1::CycleStage to);
  // An agent's own metrics (the gateway's) and the requests it answered.
  void OnMetricsReport(const bus::Broker::Incoming& in);

  config::Manifest manifest_;
  Options options_;
  StatePaths paths_;
  std::optional<StateLock> lock_;
  std::unique_ptr<store::Store> store_;
  zmq::context_t context_{1};
  std::unique_ptr<bus::Broker> broker_;
  std::optional<bus::ClusterKeys> keys_;  // security.curve
  std::unique_ptr<Journal> journal_;
  std::unique_ptr<supervisor::Supervisor> supervisor_;
  std::optional<SignalFd> signals_;

  std::map<std::string, AgentEntry> agents_;        // by id
  std::vector<std::string> agent_order_;            // manifest order, then clones
  std::map<std::string, int64_t> clients_;          // CLI peers: identity -> last seen (mono)
  static constexpr std::size_t kMaxClients = 4096;  // CLI peers known at once, at most
  static constexpr int64_t kDetailLogIntervalMs = 30000;
  uint64_t clients_forgotten_ = 0;
  void ForgetIdlestClient();
  int64_t started_ms_ = 0;
  int64_t next_tick_ms_ = 0;
  struct PendingReply {
    std::string agent;
    bool settle_if_gone = false;
    ReplyHandler handler;
  };
  std::map<std::string, PendingReply> pending_replies_;  // by the command's message id
  std::unique_ptr<FloodGuard> flood_;  // by the request's message id
  HumanRequests human_;                // open label requests and attached people

  // Serving: who serves which model, and how tasks are split.
  std::string worker_id_;                           // the manifest's worker
  std::string clone_id_;                            // "<worker>-clone"
  std::vector<std::string> worker_replicas_, clone_replicas_;
  // A worker arm's epoch (what the controller sees as AgentView::epoch): it
  // moves when a replica registers while no other replica of its arm is
  // connected, i.e. when the arm as a whole may have lost what it was asked.
  // One replica restarting beside others keeps it: it loads its assignment.
  std::map<std::string, int64_t> arm_epoch_;
  router::ReplicaPicker replica_picker_;
  std::map<std::string, cycle::ModelRef> assigned_;  // agent id -> model it should serve
  router::TrafficPolicy traffic_;
  std::unique_ptr<router::TaskRouter> router_;

  // The improvement cycle in progress (or the last one).
  std::unique_ptr<CycleHostImpl> cycle_host_;
  std::unique_ptr<controller::CycleController> controller_;
  bool clone_draining_ = false;
  int64_t clone_drain_since_ = 0;
  bool scenario_done_ = false;
  nlohmann::json scenario_;                         // the traffic source's report

  struct RecentAnswer {
    std::string worker, model_version, output;
    google::protobuf::Map<std::string, std::string> tags;
  };
  std::unordered_map<std::string, RecentAnswer> recent_answers_;  // task id -> its answer, for feedback
  std::deque<std::string> recent_order_;
  int64_t retained_since_ms_ = 0;   // submitted_ms of the oldest task kept once older ones were pruned; 0 = none pruned

  metrics::MetricsRegistry metrics_;                  // written by this loop only
  std::unique_ptr<metrics::MetricsServer> metrics_server_;  // null when metrics are off
  std::map<std::string, std::pair<uint64_t, uint64_t>> thumbs_;  // model version -> (up, down)
  int64_t teacher_calls_done_ = 0;                    // finished cycles of this runtime
  double teacher_cost_done_ = 0;

  bool stopping_ = false;
  bool killed_ = false;
  int64_t stop_deadline_ms_ = 0;
};

}  // namespace kaizen::core
