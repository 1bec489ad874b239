#include "agents/sdk/agent.h"

#include <spdlog/spdlog.h>

#include "agents/sdk/agent_runner.h"
#include "runtime/base/clock.h"

namespace kaizen::sdk {

void Agent::SetState(AgentState state, const std::string& detail) {
  if (state == state_ && detail == detail_) return;
  state_ = state;
  detail_ = detail;
  if (runner_) runner_->ReportState();
}

void Agent::SetModelVersion(const std::string& version) {
  if (version == model_version_) return;
  model_version_ = version;
  if (runner_) runner_->ReportState();
}

Status Agent::Send(const std::string& recipient, Envelope envelope) {
  if (!runner_) return Status::FailedPrecondition("agent is not running");
  envelope.set_recipient(recipient);
  return runner_->Send(envelope);
}

Status Agent::Reply(const Envelope& request, Envelope reply) {
  reply.set_correlation_id(request.message_id());
  if (reply.cycle_id().empty()) reply.set_cycle_id(request.cycle_id());
  return Send(request.sender(), std::move(reply));
}

uint64_t Agent::Every(int64_t period_ms, std::function<void()> fn) {
  return runner_->timers().Add(MonoMs() + period_ms, period_ms, std::move(fn));
}

uint64_t Agent::After(int64_t delay_ms, std::function<void()> fn) {
  return runner_->timers().Add(MonoMs() + delay_ms, 0, std::move(fn));
}

void Agent::Cancel(uint64_t timer) {
  if (runner_) runner_->timers().Cancel(timer);
}

StageJobs::Port Agent::StagePort() {
  return {[this](const Envelope& request, Envelope reply) {
            // The runtime sends the request again while it has no answer.
            if (Status s = Reply(request, std::move(reply)); !s.ok()) {
              spdlog::warn("answer to {} not sent: {}", request.job_key(), s.ToString());
            }
          },
          [this](AgentState state, const std::string& detail) { SetState(state, detail); },
          [this] { FinishDrain(); }};
}

void Agent::FinishDrain() {
  SetState(v1::AGENT_STATE_STOPPED, "drained");
  if (runner_) runner_->RequestExit(0);
}

int RunAgent(Agent& agent, const RunOptions& options) {
  AgentRunner runner(agent, options);
  return runner.Run();
}

}  // namespace kaizen::sdk
