// Runtime: label requests from datagen to people (human demonstrations).
// Datagen sends LabelRequests here; each is journaled and published
// ("label_request"), so every attached `kaizen feedback` peer shows it, and
// sent to a person who attaches later. The first LabelAnswer wins: it goes on
// to the asker, and a RequestClosed event ("request_closed") takes the request
// off every other person's screen. A late answer gets an error naming who was
// first. See docs/feedback.md.
#include <spdlog/spdlog.h>

#include "runtime/base/clock.h"
#include "runtime/core/runtime.h"

namespace kaizen::core {
namespace {
// A person whose client sent nothing (it heartbeats every second) for this
// long is no longer counted as attached.
constexpr int64_t kPersonSilenceMs = 30000;
}  // namespace

void Runtime::OnPersonAttached(const std::string& person) {
  human_.Seen(person, MonoMs());
  RecordClusterEvent("person_attached", person + " attached as a feedback agent (" +
                                            std::to_string(human_.people()) + " attached)");
  // What is open already, so a late joiner sees it too.
  for (const HumanRequests::Open* o : human_.OpenRequests()) {
    bus::Envelope e = bus::MakeEnvelope(kRuntimeId, person);
    e.set_cycle_id(o->cycle_id);
    *e.mutable_label_request() = o->request;
    broker_->Send(person, e);
  }
}

void Runtime::PublishClosed(const std::string& cycle_id, const v1::RequestClosed& closed) {
  bus::Envelope event = bus::MakeEnvelope(kRuntimeId, "");
  event.set_cycle_id(cycle_id);
  *event.mutable_request_closed() = closed;
  (void)journal_->Append("request_closed", closed.closed_by(), "", &event);
}

void Runtime::OnLabelRequest(const bus::Broker::Incoming& in) {
  auto agent = agents_.find(in.identity);
  if (agent == agents_.end()) {
    broker_->Drop(bus::DropReason::kUnexpected, in.identity, "a label request from a peer that is not an agent");
    ReplyError(in, v1::Error::FORBIDDEN, "only agents ask people for labels");
    return;
  }
  v1::LabelRequest req = in.envelope.label_request();
  if (req.request_id().empty() || req.input().empty()) {
    ReplyError(in, v1::Error::BAD_REQUEST, "a label request needs a request_id and an input");
    return;
  }
  if (!human_.Add(in.identity, in.envelope.cycle_id(), req)) return;  // re-sent: already open
  bus::Envelope event = bus::MakeEnvelope(kRuntimeId, "");
  event.set_cycle_id(in.envelope.cycle_id());
  *event.mutable_label_request() = req;
  event.mutable_label_request()->set_asked_by(in.identity);
  (void)journal_->Append("label_request", in.identity, agent->second.role, &event);
}

void Runtime::OnLabelAnswer(const bus::Broker::Incoming& in) {
  if (agents_.count(in.identity)) {
    broker_->Drop(bus::DropReason::kUnexpected, in.identity, "a label answer from an agent");
    ReplyError(in, v1::Error::FORBIDDEN, "label answers come from people (kaizen feedback), not agents");
    return;
  }
  const v1::LabelAnswer& a = in.envelope.label_answer();
  std::string why_not;
  auto taken = human_.Answer(a.request_id(), in.identity, a.label(), &why_not);
  if (!taken) {
    ReplyError(in, v1::Error::BAD_REQUEST, "label request " + a.request_id() + " is not open: " + why_not);
    return;
  }
  const std::string& asker = taken->request.asked_by();
  bus::Envelope fwd = bus::MakeEnvelope(kRuntimeId, asker);
  fwd.set_cycle_id(taken->cycle_id);
  auto* answer = fwd.mutable_label_answer();
  answer->set_request_id(a.request_id());
  answer->set_label(a.label());
  answer->set_answered_by(in.identity);
  v1::RequestClosed closed;
  closed.set_request_id(a.request_id());
  closed.set_closed_by(in.identity);
  if (!broker_->Send(asker, fwd)) {
    closed.set_reason("withdrawn: its asker " + asker + " is gone");
    PublishClosed(taken->cycle_id, closed);
    ReplyError(in, v1::Error::UNKNOWN_RECIPIENT, "the asker of request " + a.request_id() + " (" + asker +
                                                     ") is gone; the answer is not used");
    return;
  }
  bus::Envelope event = fwd;
  event.set_recipient("");
  (void)journal_->Append("label_answer", in.identity, "feedback", &event);
  closed.set_reason("answered");
  closed.set_label(a.label());
  PublishClosed(taken->cycle_id, closed);
  bus::Envelope ack = bus::MakeReply(in.envelope, kRuntimeId);
  ack.mutable_ack()->set_detail("label '" + a.label() + "' sent to " + asker);
  broker_->Send(in.identity, ack);
}

void Runtime::OnRequestClosed(const bus::Broker::Incoming& in) {
  if (!agents_.count(in.identity)) {
    ReplyError(in, v1::Error::FORBIDDEN, "only the asker withdraws a label request");
    return;
  }
  const v1::RequestClosed& rc = in.envelope.request_closed();
  const std::string reason = rc.reason().empty() ? "withdrawn" : rc.reason();
  for (const auto& id : human_.Withdraw(in.identity, rc.request_id(), reason)) {
    v1::RequestClosed closed;
    closed.set_request_id(id);
    closed.set_reason(reason);
    closed.set_closed_by(in.identity);
    PublishClosed(in.envelope.cycle_id(), closed);
  }
}

void Runtime::HumanTick(int64_t now_mono) {
  human_.Forget(now_mono, kPersonSilenceMs);
  for (const auto& o : human_.Expire(WallMs())) {
    v1::RequestClosed closed;
    closed.set_request_id(o.request.request_id());
    closed.set_reason("expired");
    closed.set_closed_by(kRuntimeId);
    PublishClosed(o.cycle_id, closed);
  }
}

}  // namespace kaizen::core
