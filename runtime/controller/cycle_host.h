// CycleHost: what the cycle controller needs from the rest of the runtime:
// a clock, the registry, one way to commit a decision, the agents as the
// runtime sees them, commands and stage requests, and serving (assignments,
// the traffic split, the clone). Narrow enough to fake in a unit test
// (tests/unit/controller/), the way TaskRouter's injected functions are.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "runtime/base/result.h"
#include "runtime/base/status.h"
#include "runtime/bus/envelope_codec.h"
#include "runtime/cycle/cycle_record.h"
#include "runtime/router/traffic_policy.h"
#include "runtime/store/store.h"

namespace kaizen::controller {

// One journal event.
struct Event {
  std::string kind, agent, role;
  bus::Envelope envelope;
};

// One decision: everything it writes commits in one transaction, or none of
// it does (core/journal.h, BeginDecision).
struct Decision {
  std::string what;                          // names it in logs and crash points ("promoted", "plan")
  std::optional<cycle::CycleRecord> cycle;   // the cycle's row after it
  std::vector<store::ModelRow> models;       // registry rows to write
  std::vector<store::DatasetRow> datasets;
  std::vector<store::ToolRow> tools;         // tool repository versions (Store::AddTool: idempotent)
  std::vector<Event> events;                 // journal events, in order
  std::optional<cycle::ModelRef> anchor;     // `kaizen anchor set`: the drift anchor it moves to (audited)
};

// An agent instance as the runtime sees it.
struct AgentView {
  bool connected = false;     // registered and heard from
  int64_t epoch = 0;          // when it last registered (wall ms): a new value is a new process, which lost what the old one was asked
  bool can_serve = false;     // a worker serving a model (idle or busy)
  std::string model_version;  // what it says it serves
};

using ReplyHandler = std::function<void(const bus::Envelope& reply)>;

class CycleHost {
 public:
  virtual ~CycleHost() = default;

  virtual int64_t NowMs() const = 0;  // wall clock

  // The registry (reads; writes go in a Decision).
  virtual Result<std::optional<store::ModelRow>> Model(const std::string& version) const = 0;
  // "v<models + 1>"; an error when the registry cannot be read (no version is guessed).
  virtual Result<std::string> NextModelVersion() const = 0;
  virtual std::string NextCycleId() const = 0;       // "c<cycles + 1>"
  // The dataset of the promoted cycle whose candidate was `version` ("" when none made it).
  virtual std::string DatasetThatMade(const std::string& version) const = 0;

  // Commits `d` in one transaction; OK, or why nothing of it was kept.
  virtual Status Commit(const Decision& d) = 0;
  // An event that is no decision (progress, an ignored trigger); a failure is logged.
  virtual void JournalEvent(Event e) = 0;
  virtual void ClusterEvent(const std::string& what, const std::string& detail, const std::string& agent = "") = 0;
  // After a committed transition (metrics, the log); `c` as committed.
  virtual void Entered(const cycle::CycleRecord& c, v1::CycleStage from, v1::CycleStage to,
                       const std::string& reason) = 0;
  // A decision that was not made: logged, journaled and counted.
  virtual void DecisionFailed(const std::string& what, const std::string& why) = 0;

  // Agents.
  virtual AgentView Agent(const std::string& id) const = 0;
  virtual std::string ConnectedAgentOf(const std::string& role) const = 0;  // the first, "" when none
  // Sends a stage request; false when `to` is not connected.
  virtual bool Send(const std::string& to, const bus::Envelope& e) = 0;
  // A command to a worker instance; `on_reply` gets its Ack or Error (an
  // Error at once when it is not connected), or nothing if it never answers.
  virtual void Command(const std::string& to, v1::Command::Kind kind, const std::string& argument,
                       const std::string& reason, ReplyHandler on_reply = nullptr) = 0;

  // Serving.
  virtual void Assign(const std::string& instance, const cycle::ModelRef& model) = 0;  // what a (re)started instance loads
  virtual router::TrafficPolicy& Traffic() = 0;
  // The clone: a second worker process, started serving `model`, and drained
  // (no new tasks; stopped once its tasks are answered). Both are idempotent.
  virtual void StartClone(const cycle::ModelRef& model) = 0;
  virtual void DrainClone() = 0;
  virtual bool CloneRunning() const = 0;  // started and not draining
};

}  // namespace kaizen::controller
