#include "runtime/cli/cmd_feedback_session.h"

#include <unistd.h>

#include <cstdlib>

#include <nlohmann/json.hpp>

#include "runtime/base/clock.h"
#include "runtime/base/ids.h"
#include "runtime/bus/cluster_keys.h"
#include "runtime/core/state_dir.h"

namespace kaizen::cli {
namespace {

constexpr int64_t kHeartbeatMs = 1000;
constexpr int64_t kRuntimeSilentMs = 15000;  // the runtime heartbeats only agents; status answers prove it is there
constexpr size_t kRememberSent = 256;        // a person's recent answers and ratings, to send again

// What a person answers, and what takes it off their screen.
const std::vector<std::string> kTopics = {"label_request", "request_closed", "approval_request", "approval_decision",
                                          "cycle_transition", "task_result"};

}  // namespace

Result<std::unique_ptr<FeedbackSession>> FeedbackSession::Open(const FeedbackOptions& o) {
  auto dir = core::ResolveStateDir(o.state_dir);
  if (!dir.ok()) return dir.status();
  core::StatePaths paths(*dir);
  if (!core::RuntimeAlive(paths)) return Status::Unavailable("no runtime is running for " + *dir);
  auto info = core::ReadRuntimeInfo(paths);
  if (!info.ok()) return info.status();
  std::unique_ptr<FeedbackSession> s(new FeedbackSession());
  std::string name = o.name;
  if (name.empty()) {
    const char* user = std::getenv("USER");
    name = user && *user ? user : "person";
  }
  bus::BusClient::Options opts;
  // One identity per attached terminal: two people (or one in two terminals) never collide.
  opts.identity = name + "." + std::to_string(::getpid());
  opts.control_endpoint = info->control_endpoint;
  std::string key_path;
  if (!info->server_public_key.empty()) {
    key_path = o.key_file;
    if (const char* env = std::getenv("KAIZEN_KEY_FILE"); key_path.empty() && env && *env) key_path = env;
    if (key_path.empty()) key_path = bus::KeysDir(*dir) + "/admin.key";
    auto keys = bus::ReadSecretKeyFile(key_path);
    if (!keys.ok()) return keys.status().WithContext("the cluster uses CURVE; pass --key-file with your feedback key");
    opts.curve_server_key = info->server_public_key;
    opts.curve_keys = *keys;
  }
  auto client = bus::BusClient::Connect(s->context_, opts);
  if (!client.ok()) return client.status();
  s->client_ = std::move(client.value());
  s->cluster_ = info->cluster;
  feedback::Feed::Options fo;
  fo.sample_every = o.sample_every;
  fo.low_confidence = o.low_confidence;
  s->feed_ = std::make_unique<feedback::Feed>(s->client_->identity(), fo);
  if (Status st = s->Hello(5000); !st.ok()) {
    if (!key_path.empty() && st.code() == Status::Code::kUnavailable) {
      return Status::Unavailable(st.message() + " (CURVE is on: is the public key of " + key_path +
                                 " listed in spec.runtime.security.clients with role feedback?)");
    }
    return st;
  }
  // Subscribed before reading what waits, so nothing falls between the two.
  if (Status st = s->client_->SubscribeEvents(s->events_endpoint_, kTopics); !st.ok()) return st;
  s->LoadWaitingApprovals();
  return s;
}

Status FeedbackSession::Hello(int timeout_ms) {
  v1::Envelope hello = bus::MakeEnvelope(client_->identity(), "runtime");
  hello.mutable_hello()->set_role("feedback");
  hello.mutable_hello()->set_pid(::getpid());
  auto reply = client_->Call(std::move(hello), timeout_ms);
  if (!reply.ok()) return reply.status();
  if (reply->body_case() == v1::Envelope::kError) return Status::FailedPrecondition("runtime: " + reply->error().message());
  events_endpoint_ = reply->welcome().events_endpoint();
  last_heard_ms_ = MonoMs();
  return Status::OK();
}

void FeedbackSession::LoadWaitingApprovals() {
  // Approvals wait in the current cycle; its journal says which are still open.
  v1::Envelope req = bus::MakeEnvelope(client_->identity(), "runtime");
  req.mutable_status_request();
  auto status = client_->Call(std::move(req), 5000);
  if (!status.ok() || !status->has_status_reply()) return;
  auto cycle = nlohmann::json::parse(status->status_reply().cycle_json(), nullptr, false);
  if (!cycle.is_object() || cycle.value("stage", "") == "promoted" || cycle.value("stage", "") == "rolled_back" ||
      cycle.value("stage", "") == "aborted") {
    return;
  }
  const std::string cycle_id = cycle.value("id", "");
  // Requests and decisions in journal order: a cycle may have had a plan
  // approval (decided) and now a promotion approval with the same id.
  std::map<uint64_t, v1::Envelope> events;
  for (const char* kind : {"approval_request", "approval_decision"}) {
    uint64_t from = 1;
    for (int pass = 0; pass < 100; ++pass) {
      v1::Envelope r = bus::MakeEnvelope(client_->identity(), "runtime");
      auto* rr = r.mutable_replay_request();
      rr->set_from_seq(from);
      rr->set_kind(kind);
      rr->set_cycle(cycle_id);
      auto batch = client_->Call(std::move(r), 5000);
      if (!batch.ok() || !batch->has_replay_batch()) return;
      for (const auto& ev : batch->replay_batch().events()) {
        events[ev.seq()] = ev;
        from = std::max(from, ev.seq() + 1);
      }
      if (batch->replay_batch().done() || batch->replay_batch().events_size() == 0) break;
    }
  }
  for (const auto& [seq, ev] : events) feed_->Apply(ev);
  // A plan approval only waits while its cycle does.
  if (cycle.value("stage", "") != "awaiting_approval") {
    v1::Envelope moved;
    moved.mutable_cycle_transition()->set_cycle_id(cycle_id);
    moved.mutable_cycle_transition()->set_from(v1::CYCLE_STAGE_AWAITING_APPROVAL);
    moved.mutable_cycle_transition()->set_reason("the cycle is at " + cycle.value("stage", std::string("?")));
    feed_->Apply(moved);
    (void)feed_->TakeNotices();
  }
  changed_ = true;
}

void FeedbackSession::Handle(const v1::Envelope& e) {
  last_heard_ms_ = MonoMs();
  if (e.body_case() == v1::Envelope::kError && e.error().code() == v1::Error::NOT_REGISTERED) {
    // The runtime restarted, or forgot us among too many CLI peers, and
    // dropped what we sent: register again, then send that once more.
    if (Status s = Hello(2000); !s.ok()) return;
    auto it = sent_.find(e.correlation_id());
    if (it == sent_.end()) return;
    v1::Envelope again = std::move(it->second);
    sent_.erase(it);
    (void)client_->Send(again);
    return;
  }
  if (!e.correlation_id().empty() && (e.has_ack() || e.has_error())) {
    replies_[e.correlation_id()] = e;
    if (replies_.size() > 1000) replies_.erase(replies_.begin());
    return;
  }
  if (feed_->Apply(e)) changed_ = true;
}

bool FeedbackSession::Pump(int timeout_ms, int extra_fd) {
  std::vector<zmq::pollitem_t> items = {{client_->control().handle(), 0, ZMQ_POLLIN, 0},
                                        {client_->events()->handle(), 0, ZMQ_POLLIN, 0}};
  if (extra_fd >= 0) items.push_back({nullptr, extra_fd, ZMQ_POLLIN, 0});
  zmq::poll(items.data(), items.size(), std::chrono::milliseconds(timeout_ms));
  while (auto m = client_->Receive(0)) Handle(*m);
  for (int i = 0; i < 5000; ++i) {
    auto ev = client_->ReceiveEvent(0);
    if (!ev) break;
    if (feed_->Apply(ev->envelope)) changed_ = true;
  }
  const int64_t now = MonoMs();
  if (feed_->Expire(WallMs())) changed_ = true;
  if (now >= next_heartbeat_ms_) {
    next_heartbeat_ms_ = now + kHeartbeatMs;
    // A status request doubles as the heartbeat: its answer shows the runtime is there.
    v1::Envelope hb = bus::MakeEnvelope(client_->identity(), "runtime");
    hb.mutable_heartbeat()->set_sent_ms(WallMs());
    (void)client_->Send(hb);
    if (now - last_heard_ms_ > kRuntimeSilentMs / 2) {
      v1::Envelope ping = bus::MakeEnvelope(client_->identity(), "runtime");
      ping.mutable_status_request();
      (void)client_->Send(ping);
    }
  }
  lost_ = now - last_heard_ms_ > kRuntimeSilentMs;
  return extra_fd >= 0 && items.size() > 2 && (items[2].revents & ZMQ_POLLIN);
}

void FeedbackSession::Remember(const v1::Envelope& sent) {
  if (!sent_.emplace(sent.message_id(), sent).second) return;
  sent_order_.push_back(sent.message_id());
  while (sent_order_.size() > kRememberSent) {
    sent_.erase(sent_order_.front());
    sent_order_.pop_front();
  }
}

Result<std::string> FeedbackSession::Submit(v1::Envelope answer, const std::string& item_id) {
  answer.set_sender(client_->identity());
  if (answer.message_id().empty()) answer.set_message_id(NewId());
  const std::string id = answer.message_id();
  Remember(answer);
  if (Status s = client_->Send(answer); !s.ok()) return s;
  const int64_t deadline = MonoMs() + 5000;
  while (MonoMs() < deadline) {
    Pump(50);
    auto it = replies_.find(id);
    if (it == replies_.end()) continue;
    v1::Envelope reply = it->second;
    replies_.erase(it);
    feed_->Remove(item_id);
    changed_ = true;
    if (reply.has_error()) return Status::FailedPrecondition(reply.error().message());
    return reply.ack().detail();
  }
  return Status::Unavailable("the runtime did not answer in 5 s");
}

Status FeedbackSession::SendRating(v1::Envelope rating, const std::string& item_id) {
  rating.set_sender(client_->identity());
  if (rating.message_id().empty()) rating.set_message_id(NewId());
  Remember(rating);
  Status s = client_->Send(rating);
  feed_->Remove(item_id);
  changed_ = true;
  return s;
}

}  // namespace kaizen::cli
