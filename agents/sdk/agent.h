// Agent: what every Kaizen agent is built on. A role is a subclass that
// registers typed handlers and timers in OnStart(); the SDK does the rest:
// connect, register, heartbeats both ways, reconnect when the runtime goes
// away, state reporting, graceful drain on SIGTERM or a DRAIN command.
//
//   class EchoAgent : public sdk::Agent {
//     Status OnStart() override {
//       Handle(Envelope::kTask, [this](const Envelope& e) { ... Reply(e, result); });
//       return Status::OK();
//     }
//   };
//
// Everything runs on one thread: handlers and timers never run concurrently.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "agents/sdk/mailbox.h"
#include "agents/sdk/stage_jobs.h"
#include "envelope.pb.h"
#include "runtime/base/status.h"

namespace kaizen::sdk {

using v1::AgentState;
using v1::Envelope;

class AgentRunner;

class Agent {
 public:
  using Handler = std::function<void(const Envelope&)>;

  virtual ~Agent() = default;

  const std::string& id() const { return id_; }
  const std::string& role() const { return role_; }
  const std::string& cluster() const { return cluster_; }
  const std::string& state_dir() const { return state_dir_; }
  // The agent's manifest section with defaults, from the runtime's Welcome.
  const nlohmann::json& settings() const { return settings_; }
  AgentState state() const { return state_; }
  const std::string& model_version() const { return model_version_; }

  // Called once, after the first registration. Register handlers and timers
  // here. Leaving the state at `starting` makes the SDK report `idle` after,
  // unless OnStart set `starting` with a detail (still getting ready, e.g.
  // training a first model: the agent reports `idle` itself when done);
  // an error marks the agent failed and the process exits with code 1.
  virtual Status OnStart() { return Status::OK(); }
  // SIGTERM or a DRAIN command: stop taking new work, finish what is in
  // flight, then call FinishDrain(). The default has nothing in flight.
  virtual void OnDrain() { FinishDrain(); }

 protected:
  // Typed handlers by message body; unhandled bodies are logged and ignored.
  void Handle(Envelope::BodyCase body, Handler handler) { handlers_[body] = std::move(handler); }
  // Events published by the runtime whose topic starts with `prefix`.
  void OnEvent(const std::string& prefix, Handler handler) { event_handlers_[prefix] = std::move(handler); }

  void SetState(AgentState state, const std::string& detail = "");
  void SetModelVersion(const std::string& version);

  // recipient: an agent id, "role:<role>" or "runtime". The caller sets the body.
  Status Send(const std::string& recipient, Envelope envelope);
  Status Reply(const Envelope& request, Envelope reply);

  uint64_t Every(int64_t period_ms, std::function<void()> fn);
  uint64_t After(int64_t delay_ms, std::function<void()> fn);
  void Cancel(uint64_t timer);

  // Runs `fn` on this agent's loop thread soon; the one call that is safe
  // from other threads (an HTTP server's). Never run once the loop has ended.
  void Post(std::function<void()> fn) { mailbox_->Post(std::move(fn)); }

  // Drain is done: report `stopped` and leave the loop (exit code 0).
  void FinishDrain();

  // How a stage agent's StageJobs answers, reports and drains through this
  // agent (stage_jobs.h); a reply that cannot be sent is logged.
  StageJobs::Port StagePort();

 private:
  friend class AgentRunner;
  AgentRunner* runner_ = nullptr;
  std::string id_, role_, cluster_, state_dir_, model_version_;
  nlohmann::json settings_ = nlohmann::json::object();
  AgentState state_ = v1::AGENT_STATE_STARTING;
  std::string detail_;
  std::map<int, Handler> handlers_;
  std::map<std::string, Handler> event_handlers_;
  std::shared_ptr<Mailbox> mailbox_ = std::make_shared<Mailbox>();
};

struct RunOptions {
  std::string id;
  std::string role;
  std::string control_endpoint;
  // CURVE (security.curve): this agent's key file and the runtime's public key.
  std::string key_file, server_key;
  int64_t register_timeout_ms = 30000;  // give up (exit 1) if the runtime never answers
};

// Runs the agent until it is drained or fails. Returns the process exit code.
int RunAgent(Agent& agent, const RunOptions& options);

}  // namespace kaizen::sdk
