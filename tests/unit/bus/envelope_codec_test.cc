#include "runtime/bus/envelope_codec.h"

#include <catch2/catch.hpp>

using namespace kaizen;

TEST_CASE("an envelope survives encode and decode with every header field", "[bus]") {
  bus::Envelope e = bus::MakeEnvelope("worker", "runtime");
  e.set_correlation_id("abc");
  e.set_cycle_id("cyc-1");
  e.set_seq(42);
  auto* sc = e.mutable_state_change();
  sc->set_agent_id("worker");
  sc->set_role("worker");
  sc->set_from(v1::AGENT_STATE_STARTING);
  sc->set_to(v1::AGENT_STATE_IDLE);
  sc->set_detail("ready \xE2\x9C\x93");  // UTF-8 survives
  std::string bytes = bus::Encode(e);
  bus::Decoded d = bus::Decode(bytes.data(), bytes.size(), 1 << 20);
  REQUIRE(d.error == bus::DecodeError::kNone);
  CHECK(d.envelope.message_id() == e.message_id());
  CHECK(d.envelope.message_id().size() == 16);
  CHECK(d.envelope.sender() == "worker");
  CHECK(d.envelope.recipient() == "runtime");
  CHECK(d.envelope.correlation_id() == "abc");
  CHECK(d.envelope.cycle_id() == "cyc-1");
  CHECK(d.envelope.seq() == 42);
  CHECK(d.envelope.timestamp_ms() == e.timestamp_ms());
  CHECK(d.envelope.state_change().to() == v1::AGENT_STATE_IDLE);
  CHECK(d.envelope.state_change().detail() == "ready \xE2\x9C\x93");
  CHECK(bus::BodyName(d.envelope) == "state_change");
}

TEST_CASE("every body type round-trips", "[bus]") {
  bus::Envelope e = bus::MakeEnvelope("a", "b");
  const auto* oneof = bus::Envelope::descriptor()->FindOneofByName("body");
  REQUIRE(oneof != nullptr);
  for (int i = 0; i < oneof->field_count(); ++i) {
    const auto* field = oneof->field(i);
    bus::Envelope x = e;
    // Setting any field of the body's message type selects that body.
    x.GetReflection()->MutableMessage(&x, field);
    std::string bytes = bus::Encode(x);
    bus::Decoded d = bus::Decode(bytes.data(), bytes.size(), 1 << 20);
    INFO(field->name());
    REQUIRE(d.error == bus::DecodeError::kNone);
    CHECK(bus::BodyName(d.envelope) == field->name());
  }
}

TEST_CASE("a reply carries the request's id as its correlation id", "[bus]") {
  bus::Envelope req = bus::MakeEnvelope("cli-1", "runtime");
  req.set_cycle_id("cyc-9");
  bus::Envelope rep = bus::MakeReply(req, "runtime");
  CHECK(rep.correlation_id() == req.message_id());
  CHECK(rep.recipient() == "cli-1");
  CHECK(rep.cycle_id() == "cyc-9");
  CHECK(rep.message_id() != req.message_id());
}

TEST_CASE("garbage, empty and oversized frames are refused", "[bus]") {
  const char garbage[] = "\xff\xff\xff\xff\x0f not protobuf";
  CHECK(bus::Decode(garbage, sizeof garbage, 1024).error == bus::DecodeError::kMalformed);
  CHECK(bus::Decode("", 0, 1024).error == bus::DecodeError::kMalformed);  // parses, but has no body
  bus::Envelope no_sender;
  no_sender.mutable_heartbeat();
  std::string b = bus::Encode(no_sender);
  CHECK(bus::Decode(b.data(), b.size(), 1024).error == bus::DecodeError::kMalformed);
  bus::Envelope big = bus::MakeEnvelope("w", "runtime");
  big.mutable_task()->set_input(std::string(5000, 'x'));
  std::string bb = bus::Encode(big);
  CHECK(bus::Decode(bb.data(), bb.size(), 1024).error == bus::DecodeError::kOversized);
  CHECK(bus::Decode(bb.data(), bb.size(), 1 << 20).error == bus::DecodeError::kNone);
}

TEST_CASE("state names round-trip", "[bus]") {
  for (auto s : {v1::AGENT_STATE_STARTING, v1::AGENT_STATE_IDLE, v1::AGENT_STATE_BUSY, v1::AGENT_STATE_IMPROVING,
                 v1::AGENT_STATE_DRAINING, v1::AGENT_STATE_STOPPED, v1::AGENT_STATE_FAILED}) {
    CHECK(bus::ParseState(bus::StateName(s)) == s);
  }
  CHECK(bus::ParseState("sleeping") == v1::AGENT_STATE_UNSPECIFIED);
}
