// Broker and BusClient over real sockets (ipc:// and tcp://).
#include "runtime/bus/broker.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "runtime/base/clock.h"
#include "runtime/bus/bus_client.h"
#include "runtime/bus/endpoint.h"
#include "tests/unit/bus/receive_within.h"

using namespace kaizen;
using kaizen::testing::ReceiveWithin;

namespace {

void DrainUntil(bus::Broker& b, uint64_t dropped, int ms) {
  int64_t deadline = MonoMs() + ms;
  while (MonoMs() < deadline && b.counters().dropped_total() < dropped) {
    zmq::pollitem_t item{b.control().handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, std::chrono::milliseconds(20));
    bool read = false;
    (void)b.Receive(&read);
  }
}

std::string TempSocketDir() {
  auto d = std::filesystem::temp_directory_path() / ("kzb-" + std::to_string(::getpid()));
  std::filesystem::create_directories(d);
  return d.string();
}

}  // namespace

TEST_CASE("request and reply between a client and the broker", "[bus]") {
  zmq::context_t ctx;
  for (std::string transport : {"ipc", "tcp"}) {
    INFO(transport);
    bus::Broker::Options o;
    if (transport == "ipc") {
      std::string dir = TempSocketDir();
      o.control_endpoint = "ipc://" + dir + "/c.sock";
      o.events_endpoint = "ipc://" + dir + "/e.sock";
    } else {
      o.control_endpoint = "tcp://127.0.0.1:*";
      o.events_endpoint = "tcp://127.0.0.1:*";
    }
    auto broker = bus::Broker::Bind(ctx, o);
    REQUIRE(broker.ok());
    CHECK((*broker)->control_endpoint().find('*') == std::string::npos);

    auto client = bus::BusClient::Connect(ctx, {"agent-1", (*broker)->control_endpoint()});
    REQUIRE(client.ok());
    bus::Envelope hb = bus::MakeEnvelope("", "runtime");
    hb.mutable_heartbeat()->set_sent_ms(7);
    REQUIRE((*client)->Send(hb).ok());

    auto in = ReceiveWithin(**broker, 5000);
    REQUIRE(in.has_value());
    CHECK(in->identity == "agent-1");
    CHECK(in->envelope.sender() == "agent-1");
    CHECK(in->envelope.heartbeat().sent_ms() == 7);

    bus::Envelope reply = bus::MakeReply(in->envelope, "runtime");
    reply.mutable_ack()->set_detail("ok");
    CHECK((*broker)->Send("agent-1", reply));
    auto got = (*client)->Receive(5000);
    REQUIRE(got.has_value());
    CHECK(got->correlation_id() == hb.message_id());
    CHECK(got->ack().detail() == "ok");
    CHECK_FALSE((*broker)->Send("nobody", reply));  // unknown peer: refused, not fatal
  }
  std::filesystem::remove_all(TempSocketDir());
}

TEST_CASE("the broker drops bad frames, counts them by reason and keeps serving", "[bus]") {
  zmq::context_t ctx;
  bus::Broker::Options o{"tcp://127.0.0.1:*", "tcp://127.0.0.1:*", 1024};
  auto broker = bus::Broker::Bind(ctx, o);
  REQUIRE(broker.ok());
  zmq::socket_t raw(ctx, zmq::socket_type::dealer);
  raw.set(zmq::sockopt::routing_id, "raw");
  raw.set(zmq::sockopt::linger, 0);
  raw.connect((*broker)->control_endpoint());

  raw.send(zmq::str_buffer("\x01\x02garbage"), zmq::send_flags::none);
  raw.send(zmq::str_buffer("a"), zmq::send_flags::sndmore);
  raw.send(zmq::str_buffer("b"), zmq::send_flags::none);
  bus::Envelope big = bus::MakeEnvelope("raw", "runtime");
  big.mutable_task()->set_input(std::string(2000, 'x'));
  raw.send(zmq::buffer(bus::Encode(big)), zmq::send_flags::none);
  bus::Envelope forged = bus::MakeEnvelope("someone-else", "runtime");
  forged.mutable_heartbeat();
  raw.send(zmq::buffer(bus::Encode(forged)), zmq::send_flags::none);

  DrainUntil(**broker, 4, 5000);
  const auto& c = (*broker)->counters();
  CHECK(c.dropped(bus::DropReason::kMalformed) == 2);
  CHECK(c.dropped(bus::DropReason::kOversized) == 1);
  CHECK(c.dropped(bus::DropReason::kForgedSender) == 1);
  CHECK(c.ToProto().dropped_frames() == 4);

  // A good message after all that still gets through.
  bus::Envelope ok = bus::MakeEnvelope("raw", "runtime");
  ok.mutable_heartbeat();
  raw.send(zmq::buffer(bus::Encode(ok)), zmq::send_flags::none);
  auto in = ReceiveWithin(**broker, 5000);
  REQUIRE(in.has_value());
  CHECK(in->envelope.message_id() == ok.message_id());
}

TEST_CASE("a relayed message goes on byte for byte, without being encoded again", "[bus]") {
  zmq::context_t ctx;
  auto broker = bus::Broker::Bind(ctx, {"tcp://127.0.0.1:*", "tcp://127.0.0.1:*", 1 << 20});
  REQUIRE(broker.ok());
  auto dealer = [&](const char* id) {
    zmq::socket_t s(ctx, zmq::socket_type::dealer);
    s.set(zmq::sockopt::routing_id, id);
    s.set(zmq::sockopt::linger, 0);
    s.set(zmq::sockopt::rcvtimeo, 5000);
    s.connect((*broker)->control_endpoint());
    return s;
  };
  zmq::socket_t a = dealer("a"), b = dealer("b");
  bus::Envelope hello = bus::MakeEnvelope("b", "runtime");
  hello.mutable_heartbeat();
  b.send(zmq::buffer(bus::Encode(hello)), zmq::send_flags::none);
  REQUIRE(ReceiveWithin(**broker, 5000).has_value());  // b is connected now

  // Not what encoding the parsed envelope gives: a field repeated (the last
  // one wins when parsed), so only a relay of the received bytes keeps it.
  bus::Envelope task = bus::MakeEnvelope("a", "b");
  task.mutable_task()->set_input("what is my balance?");
  bus::Envelope later;
  later.set_message_id("m-2");
  const std::string sent = bus::Encode(task) + bus::Encode(later);
  a.send(zmq::buffer(sent), zmq::send_flags::none);
  auto in = ReceiveWithin(**broker, 5000);
  REQUIRE(in.has_value());
  CHECK(in->envelope.message_id() == "m-2");
  REQUIRE(bus::Encode(in->envelope) != sent);

  REQUIRE((*broker)->Forward("b", *in));
  zmq::message_t got;
  REQUIRE(b.recv(got));
  CHECK(got.to_string() == sent);

  // An Incoming made by hand (no frame kept) is encoded as Send would.
  bus::Broker::Incoming made{"a", task};
  REQUIRE((*broker)->Forward("b", made));
  REQUIRE(b.recv(got));
  CHECK(got.to_string() == bus::Encode(task));
  CHECK_FALSE((*broker)->Forward("nobody", *in));
}

TEST_CASE("published events reach a subscriber by topic", "[bus]") {
  zmq::context_t ctx;
  auto broker = bus::Broker::Bind(ctx, {"tcp://127.0.0.1:*", "tcp://127.0.0.1:*", 1 << 20});
  REQUIRE(broker.ok());
  auto client = bus::BusClient::Connect(ctx, {"sub-1", (*broker)->control_endpoint()});
  REQUIRE(client.ok());
  REQUIRE((*client)->SubscribeEvents((*broker)->events_endpoint(), {"state_change"}).ok());
  // A subscription takes a moment to reach the publisher: publish until seen.
  std::optional<bus::BusClient::Event> ev;
  for (int i = 0; i < 100 && !ev; ++i) {
    bus::Envelope other = bus::MakeEnvelope("runtime", "");
    other.mutable_cluster_event()->set_what("noise");
    (*broker)->Publish("cluster", other);
    bus::Envelope e = bus::MakeEnvelope("runtime", "");
    e.set_seq(static_cast<uint64_t>(i + 1));
    e.mutable_state_change()->set_agent_id("worker");
    (*broker)->Publish("state_change", e);
    (*broker)->DrainSubscriptions();
    ev = (*client)->ReceiveEvent(50);
  }
  REQUIRE(ev.has_value());
  CHECK(ev->topic == "state_change");
  CHECK(ev->envelope.state_change().agent_id() == "worker");
}

TEST_CASE("endpoints are checked before use", "[bus]") {
  CHECK(bus::ValidateEndpoint("ipc:///tmp/x.sock").ok());
  CHECK(bus::ValidateEndpoint("tcp://127.0.0.1:5555").ok());
  CHECK(bus::ValidateEndpoint("tcp://127.0.0.1:*").ok());
  CHECK_FALSE(bus::ValidateEndpoint("udp://x:1").ok());
  CHECK_FALSE(bus::ValidateEndpoint("tcp://nohost").ok());
  auto s = bus::ValidateEndpoint("ipc:///" + std::string(200, 'a'));
  CHECK_FALSE(s.ok());
  CHECK(s.message().find("tcp://") != std::string::npos);  // says what to do instead
}
