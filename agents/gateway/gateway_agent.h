// GatewayAgent: the `gateway` role. An HTTP server (HttpApi) in front of the
// bus: each HTTP task becomes a bus Task to the runtime, whose answer (sent
// once it is durable) becomes the HTTP response; HTTP feedback becomes a
// Feedback the runtime acknowledges once journaled. It polls the runtime's
// status twice a second to know whether a worker serves (/readyz, 503s), and
// sends its metrics and request records to the runtime every second.
//
// Start-up: the port takes connections as soon as it opens (replicas share
// it, so the kernel hands this one its part of them at once), and the first
// status request goes out just before. A request that comes before the reply
// waits for it (a second at most) instead of a 503 that only says this
// gateway has no news yet, while a worker may well serve.
//
// Threads: HTTP requests run on the server's pool and reach the bus only
// through Post() (the SDK's mailbox), so every bus call and the table of
// calls waiting for replies stay on the agent's one loop thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "agents/gateway/gateway_metrics.h"
#include "agents/gateway/http_api.h"
#include "agents/sdk/agent.h"

namespace kaizen::agents {

class GatewayAgent : public sdk::Agent, public gateway::Backend {
 public:
  ~GatewayAgent() override;

  Status OnStart() override;
  void OnDrain() override;

  // gateway::Backend, called from HTTP threads.
  void Submit(v1::Task task, Done done) override;
  void SendFeedback(v1::Feedback feedback, Done done) override;
  Serving Snapshot() const override;

 private:
  struct Waiting {
    Done done;
    int64_t expires_mono = 0;
  };
  void RequestStatus();                          // loop thread
  void Call(sdk::Envelope request, Done done);  // loop thread
  void OnReply(const sdk::Envelope& e);
  void OnStatus(const sdk::Envelope& e);
  void ExpireCalls();
  void Report();
  void FailAll(int status, const std::string& why);

  int64_t request_timeout_ms_ = 30000;
  std::unordered_map<std::string, Waiting> waiting_;  // by request message id; loop thread only
  mutable std::mutex serving_mu_;
  mutable std::condition_variable first_status_;       // notified when status_heard_mono_ is first set
  Serving serving_;                                    // guarded by serving_mu_
  int64_t status_heard_mono_ = 0;                      // guarded by serving_mu_; 0 until the first status reply
  int64_t drain_started_mono_ = 0;
  gateway::GatewayMetrics metrics_;
  std::unique_ptr<gateway::HttpApi> http_;             // last: stopped first
};

}  // namespace kaizen::agents
