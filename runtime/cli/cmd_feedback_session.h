// FeedbackSession: `kaizen feedback`'s connection to a running cluster. It
// attaches as a person (Hello role "feedback", its own bus identity; with
// CURVE, its own key), subscribes to the events a person answers (label
// requests, approvals, sampled task results, and what closes them), loads
// the approvals already waiting, heartbeats, and keeps a Feed up to date.
// The terminal and batch front ends (cmd_feedback.cc, cmd_feedback_batch.cc)
// only turn a person's input into Feed answers and Submit() them.
#pragma once

#include <functional>
#include <deque>
#include <map>
#include <memory>
#include <string>

#include <zmq.hpp>

#include "agents/feedback/feed.h"
#include "runtime/bus/bus_client.h"
#include "runtime/cli/commands.h"

namespace kaizen::cli {

class FeedbackSession {
 public:
  static Result<std::unique_ptr<FeedbackSession>> Open(const FeedbackOptions& o);

  const std::string& identity() const { return client_->identity(); }
  const std::string& cluster() const { return cluster_; }
  feedback::Feed& feed() { return *feed_; }

  // Waits up to timeout_ms for messages (and for `extra_fd`, if >= 0, to be
  // readable: stdin), applies them to the feed, heartbeats. Returns true if
  // extra_fd is readable. A lost runtime is reported by lost().
  bool Pump(int timeout_ms, int extra_fd = -1);
  // Sends an answer made by the Feed and waits for the runtime's Ack (the
  // ack's detail) or Error (as a Status). The item is dropped from the feed
  // either way: answered, or closed meanwhile by someone else.
  Result<std::string> Submit(v1::Envelope answer, const std::string& item_id);
  // Thumbs and corrections need no answer: sent and dropped from the feed.
  // Either is sent once more if the runtime had forgotten this session.
  Status SendRating(v1::Envelope rating, const std::string& item_id);
  bool lost() const { return lost_; }
  bool changed() { return std::exchange(changed_, false); }

 private:
  FeedbackSession() = default;
  Status Hello(int timeout_ms);
  void LoadWaitingApprovals();
  void Handle(const v1::Envelope& e);

  zmq::context_t context_{1};
  std::unique_ptr<bus::BusClient> client_;
  std::unique_ptr<feedback::Feed> feed_;
  std::string cluster_, events_endpoint_;
  int64_t next_heartbeat_ms_ = 0, last_heard_ms_ = 0;
  std::map<std::string, v1::Envelope> replies_;  // correlation id -> reply not yet taken
  // What a person sent lately, by message id: a runtime that forgot this
  // session (it restarted, or dropped it from its table of CLI peers) refuses
  // with NOT_REGISTERED and drops the message; it is sent again after Hello.
  void Remember(const v1::Envelope& sent);
  std::map<std::string, v1::Envelope> sent_;
  std::deque<std::string> sent_order_;  // oldest first, bounds sent_
  bool lost_ = false, changed_ = true;
};

}  // namespace kaizen::cli
