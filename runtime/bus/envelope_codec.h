// Encoding and decoding of bus frames, and the names people see for states
// and message bodies.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <zmq.hpp>

#include "envelope.pb.h"
#include "runtime/base/result.h"

namespace kaizen::bus {

using v1::Envelope;

// A new envelope with a fresh message id, the sender and the wall time set.
Envelope MakeEnvelope(const std::string& sender, const std::string& recipient);
// An envelope answering `request`: correlation id and cycle id carried over.
Envelope MakeReply(const Envelope& request, const std::string& sender);

std::string Encode(const Envelope& envelope);
// The same, serialized straight into a ZeroMQ frame: no string to copy from.
zmq::message_t EncodeFrame(const Envelope& envelope);

enum class DecodeError { kNone, kOversized, kMalformed };
struct Decoded {
  DecodeError error = DecodeError::kNone;
  Envelope envelope;
};
// Frames larger than max_bytes are refused before parsing.
Decoded Decode(const void* data, size_t size, size_t max_bytes);

// "hello", "state_change", ... (the oneof field name); "empty" when unset.
std::string BodyName(const Envelope& envelope);

// "idle", "busy", ...; ParseState returns UNSPECIFIED for an unknown name.
const char* StateName(v1::AgentState state);
v1::AgentState ParseState(std::string_view name);

}  // namespace kaizen::bus
