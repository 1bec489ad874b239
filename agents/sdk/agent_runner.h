// AgentRunner: the loop behind sdk::RunAgent. Internal to the SDK.
#pragma once

#include <memory>
#include <string>

#include <zmq.hpp>

#include "agents/sdk/agent.h"
#include "agents/sdk/timer_queue.h"
#include "runtime/base/signal_fd.h"
#include "runtime/bus/bus_client.h"

namespace kaizen::sdk {

class AgentRunner {
 public:
  AgentRunner(Agent& agent, RunOptions options);
  int Run();

  // Used by Agent's protected helpers.
  void ReportState();
  Status Send(Envelope& envelope);
  TimerQueue& timers() { return timers_; }
  void RequestExit(int code);

 private:
  Status SendHello();
  void OnControl(const Envelope& e);
  void OnWelcome(const Envelope& e);
  void OnEvent(const bus::BusClient::Event& event);
  void OnHeartbeatTimer();
  void BeginDrain(const std::string& why);
  void Dispatch(const Envelope& e);

  Agent& agent_;
  RunOptions options_;
  zmq::context_t context_{1};
  std::unique_ptr<bus::BusClient> client_;
  TimerQueue timers_;
  bool registered_ = false;
  bool started_ = false;
  bool draining_ = false;
  bool exit_ = false;
  int exit_code_ = 0;
  int64_t heartbeat_interval_ms_ = 500;
  int liveness_ = 4;
  int64_t last_heard_ms_ = 0;   // MonoMs of the last message from the runtime
  int64_t last_hello_ms_ = 0;
  uint64_t heartbeat_timer_ = 0;
};

}  // namespace kaizen::sdk
