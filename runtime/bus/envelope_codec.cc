#include "runtime/bus/envelope_codec.h"

#include "runtime/base/clock.h"
#include "runtime/base/ids.h"

namespace kaizen::bus {

Envelope MakeEnvelope(const std::string& sender, const std::string& recipient) {
  Envelope e;
  e.set_message_id(NewId());
  e.set_sender(sender);
  e.set_recipient(recipient);
  e.set_timestamp_ms(WallMs());
  return e;
}

Envelope MakeReply(const Envelope& request, const std::string& sender) {
  Envelope e = MakeEnvelope(sender, request.sender());
  e.set_correlation_id(request.message_id());
  e.set_cycle_id(request.cycle_id());
  return e;
}

std::string Encode(const Envelope& envelope) { return envelope.SerializeAsString(); }

zmq::message_t EncodeFrame(const Envelope& envelope) {
  zmq::message_t frame(envelope.ByteSizeLong());
  envelope.SerializeWithCachedSizesToArray(static_cast<uint8_t*>(frame.data()));
  return frame;
}

Decoded Decode(const void* data, size_t size, size_t max_bytes) {
  Decoded d;
  if (size > max_bytes) {
    d.error = DecodeError::kOversized;
    return d;
  }
  if (size > static_cast<size_t>(INT32_MAX) || !d.envelope.ParseFromArray(data, static_cast<int>(size))) {
    d.error = DecodeError::kMalformed;
    return d;
  }
  // Protobuf accepts many byte strings as a valid empty message; an envelope
  // with no body and no sender is noise, not a message.
  if (d.envelope.body_case() == Envelope::BODY_NOT_SET || d.envelope.sender().empty()) {
    d.error = DecodeError::kMalformed;
  }
  return d;
}

std::string BodyName(const Envelope& envelope) {
  if (envelope.body_case() == Envelope::BODY_NOT_SET) return "empty";
  const auto* field = Envelope::descriptor()->FindFieldByNumber(envelope.body_case());
  return field ? field->name() : "unknown";
}

const char* StateName(v1::AgentState state) {
  switch (state) {
    case v1::AGENT_STATE_STARTING: return "starting";
    case v1::AGENT_STATE_IDLE: return "idle";
    case v1::AGENT_STATE_BUSY: return "busy";
    case v1::AGENT_STATE_IMPROVING: return "improving";
    case v1::AGENT_STATE_DRAINING: return "draining";
    case v1::AGENT_STATE_STOPPED: return "stopped";
    case v1::AGENT_STATE_FAILED: return "failed";
    default: return "unknown";
  }
}

v1::AgentState ParseState(std::string_view name) {
  for (int s = v1::AGENT_STATE_STARTING; s <= v1::AGENT_STATE_FAILED; ++s) {
    auto state = static_cast<v1::AgentState>(s);
    if (name == StateName(state)) return state;
  }
  return v1::AGENT_STATE_UNSPECIFIED;
}

}  // namespace kaizen::bus
