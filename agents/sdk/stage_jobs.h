// StageJobs: the job protocol between the runtime's cycle controller and a
// stage agent (datagen, training, evaluation, deployment), in one place so
// that the stages cannot drift apart. A stage supplies how to start and stop
// its work; this class decides what a request means. No sockets: it reaches
// the agent through injected functions, and is unit-tested with fakes.
//
// The runtime sends a stage request, and sends it again (a new message id,
// the same Envelope.job_key) when it or this agent restarts, until it has an
// answer. So, for a request with key K:
//   - K answered with a result: the same result again, nothing runs (the last
//     kCachedAnswers results are kept). A failure is not kept: a re-sent
//     request after an Error runs again, since the cause may have passed.
//   - K running: nothing new starts; the answer goes to the latest copy (the
//     one the runtime now waits on), and the stage's `adopted` hook runs.
//   - another key running: the runtime gave up on that job. The stage's
//     `cancel` stops it and K starts. A stage that cannot stop now (paid
//     labeling in flight) returns an error from `cancel`; K is then answered
//     UNAVAILABLE with that reason and the runtime asks again later.
//   - draining: K is answered UNAVAILABLE. A running job is cancelled, or,
//     where `cancel` refuses, finishes and is answered; the drain ends
//     (`finish_drain`) once nothing runs.
// A request without a job key (a runtime older than the key) is keyed by its
// cycle, body type and body bytes, which every copy of it shares.
//
// Answers: Complete(reply) and Fail(status) answer the running job. A Status
// maps to an Error code: InvalidArgument, NotFound -> BAD_REQUEST;
// Unavailable -> UNAVAILABLE; anything else -> INTERNAL.
// Everything runs on the agent's loop thread.
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "agent.pb.h"
#include "envelope.pb.h"
#include "runtime/base/status.h"

namespace kaizen::sdk {

class StageJobs {
 public:
  static constexpr std::size_t kCachedAnswers = 16;

  enum class StopReason { kSuperseded, kDraining };

  // What the stage does with its work.
  struct Stage {
    std::string name;  // "training": in logs and refusals
    // Begins the job for `request`; the job later calls Complete or Fail. An
    // error here is answered at once (and nothing runs).
    std::function<Status(const v1::Envelope& request)> start;
    // Stops the running job, whose answer is then never sent. An error: it
    // cannot stop now and will still call Complete or Fail.
    std::function<Status(StopReason why)> cancel;
    // Optional: the running job's request came again (the stage may re-send
    // what the runtime may have lost, e.g. the traffic split).
    std::function<void(const v1::Envelope& request)> adopted;
  };

  // How the protocol reaches the runtime: sdk::Agent's Reply, SetState and
  // FinishDrain in an agent, fakes in tests.
  struct Port {
    std::function<void(const v1::Envelope& request, v1::Envelope reply)> reply;
    std::function<void(v1::AgentState state, const std::string& detail)> set_state;
    std::function<void()> finish_drain;
  };

  StageJobs(Stage stage, Port port);

  // The handler for the stage's request body.
  void OnRequest(const v1::Envelope& request);
  // SIGTERM or DRAIN (sdk::Agent::OnDrain).
  void Drain();

  // The running job's answer. `idle_detail` is the state detail afterwards.
  void Complete(v1::Envelope reply, const std::string& idle_detail);
  void Fail(const Status& why);
  // The running job's progress, as the agent's state detail.
  void Progress(const std::string& detail);

  bool running() const { return current_.has_value(); }
  bool draining() const { return draining_; }
  // The latest copy of the running job's request; only while running().
  const v1::Envelope& request() const { return current_->request; }
  const std::string& key() const { return current_->key; }

  // The idempotency key of a request (see above).
  static std::string KeyOf(const v1::Envelope& request);
  static v1::Error::Code ErrorCodeOf(const Status& status);

 private:
  struct Current {
    std::string key;
    v1::Envelope request;
  };
  void Refuse(const v1::Envelope& request, v1::Error::Code code, const std::string& message);
  void Remember(const std::string& key, const v1::Envelope& reply);
  void Ended();

  Stage stage_;
  Port port_;
  std::optional<Current> current_;
  std::map<std::string, v1::Envelope> answered_;
  std::deque<std::string> answered_order_;  // oldest first, for the bound
  bool draining_ = false;
  bool drained_ = false;
};

}  // namespace kaizen::sdk
