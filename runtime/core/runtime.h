// Runtime: the coordinator of one cluster. Owns the bus broker, the store,
// the supervisor and the agent table, on a single-threaded poll loop.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <zmq.hpp>

#include "config/manifest.h"
#include "runtime/base/signal_fd.h"
#include "runtime/bus/broker.h"
#include "runtime/core/journal.h"
#include "runtime/core/state_dir.h"
#include "runtime/store/store.h"
#include "runtime/supervisor/supervisor.h"

namespace kaizen::core {

class Runtime {
 public:
  struct Options {
    std::string agent_executable;                       // the kaizen binary agents run as
    std::function<void(const Status&)> on_ready;        // called once: bound and agents started, or why not
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
    int64_t last_seen_mono = 0, last_seen_wall = 0, spawned_mono = 0;
    std::string settings_json;
  };

  Status Start();
  void Loop();
  void Finish();
  void BeginShutdown(const std::string& reason);
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

  config::Manifest manifest_;
  Options options_;
  StatePaths paths_;
  std::optional<StateLock> lock_;
  std::unique_ptr<store::Store> store_;
  zmq::context_t context_{1};
  std::unique_ptr<bus::Broker> broker_;
  std::unique_ptr<Journal> journal_;
  std::unique_ptr<supervisor::Supervisor> supervisor_;
  std::optional<SignalFd> signals_;

  std::map<std::string, AgentEntry> agents_;        // by id
  std::map<std::string, int64_t> clients_;          // CLI peers: identity -> last seen (mono)
  int64_t started_ms_ = 0;
  int64_t next_tick_ms_ = 0;
  bool stopping_ = false;
  bool killed_ = false;
  int64_t stop_deadline_ms_ = 0;
};

}  // namespace kaizen::core
