// CURVE on real sockets: key files, the ZAP handler's allow list and roles,
// and the role policy.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "runtime/base/clock.h"
#include "runtime/base/ids.h"
#include "runtime/bus/auth_roles.h"
#include "runtime/bus/broker.h"
#include "runtime/bus/bus_client.h"
#include "runtime/bus/cluster_keys.h"
#include "runtime/bus/curve_keys.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/bus/receive_within.h"

using namespace kaizen;
using kaizen::testing::ReceiveWithin;
namespace fs = std::filesystem;

namespace {

unsigned Mode(const std::string& path) {
  struct stat st{};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

bus::CurveKeyPair NewPair() {
  auto p = bus::GenerateCurveKeyPair();
  REQUIRE(p.ok());
  return *p;
}

std::unique_ptr<bus::BusClient> CurveClient(zmq::context_t& ctx, const std::string& id, const std::string& endpoint,
                                            const std::string& server_key, const bus::CurveKeyPair& keys) {
  bus::BusClient::Options o;
  o.identity = id;
  o.control_endpoint = endpoint;
  o.curve_server_key = server_key;
  o.curve_keys = keys;
  auto c = bus::BusClient::Connect(ctx, o);
  REQUIRE(c.ok());
  return std::move(c.value());
}

}  // namespace

TEST_CASE("libzmq has CURVE and makes Z85 key pairs", "[bus][curve]") {
  REQUIRE(bus::CurveAvailable());
  auto a = NewPair(), b = NewPair();
  CHECK(bus::IsZ85Key(a.public_key));
  CHECK(bus::IsZ85Key(a.secret_key));
  CHECK(a.public_key != b.public_key);
  CHECK_FALSE(bus::IsZ85Key(a.public_key.substr(1)));
  CHECK_FALSE(bus::IsZ85Key(std::string(39, 'a') + "~"));
}

TEST_CASE("key files: 0600 secret, readable public, no silent overwrite, checked on read", "[bus][curve]") {
  testing::TempDir dir{"curve"};
  auto pair = NewPair();
  const std::string key = dir.file("ops.key"), pub = dir.file("ops.pub");
  REQUIRE(bus::WriteSecretKeyFile(key, pair, false).ok());
  REQUIRE(bus::WritePublicKeyFile(pub, pair.public_key, false).ok());
  CHECK(Mode(key) == 0600);
  CHECK(Mode(pub) == 0644);

  auto read = bus::ReadSecretKeyFile(key);
  REQUIRE(read.ok());
  CHECK(read->public_key == pair.public_key);
  CHECK(read->secret_key == pair.secret_key);
  CHECK(*bus::ReadPublicKeyFile(pub) == pair.public_key);
  CHECK(*bus::ReadPublicKeyFile(key) == pair.public_key);  // a .key file works as a public key file

  auto other = NewPair();
  Status s = bus::WriteSecretKeyFile(key, other, false);
  CHECK(s.code() == Status::Code::kAlreadyExists);
  CHECK(bus::ReadSecretKeyFile(key)->secret_key == pair.secret_key);  // untouched
  REQUIRE(bus::WriteSecretKeyFile(key, other, true).ok());
  CHECK(bus::ReadSecretKeyFile(key)->secret_key == other.secret_key);
  CHECK(Mode(key) == 0600);

  // A secret others may read is refused, like ssh does.
  ::chmod(key.c_str(), 0640);
  auto loose = bus::ReadSecretKeyFile(key);
  REQUIRE_FALSE(loose.ok());
  CHECK(loose.status().message().find("chmod 600") != std::string::npos);
  ::chmod(key.c_str(), 0600);

  // A public key that does not belong to the secret one is corruption.
  std::ofstream(key, std::ios::trunc) << "public = " << pair.public_key << "\nsecret = " << other.secret_key << "\n";
  CHECK(bus::ReadSecretKeyFile(key).status().code() == Status::Code::kCorruption);
  std::ofstream(key, std::ios::trunc) << "public = short\n";
  CHECK_FALSE(bus::ReadSecretKeyFile(key).ok());
  CHECK_FALSE(bus::ReadSecretKeyFile(dir.file("missing.key")).ok());
}

TEST_CASE("cluster keys are made once, owner-only, and listed by role", "[bus][curve]") {
  testing::TempDir dir{"curve"};
  const std::string keys_dir = dir.file("state/keys");
  auto ops = NewPair();
  const std::string ops_pub = dir.file("ops.pub");
  REQUIRE(bus::WritePublicKeyFile(ops_pub, ops.public_key, false).ok());
  auto alice = NewPair();
  std::vector<bus::ListedKey> clients = {{"alice", "feedback", alice.public_key, ""}, {"ops", "admin", "", ops_pub}};

  auto k = bus::PrepareClusterKeys(keys_dir, "", clients);
  REQUIRE(k.ok());
  CHECK(Mode(keys_dir) == 0700);
  for (const auto& f : {k->server_key_file, k->agent_key_file, k->admin_key_file}) {
    INFO(f);
    CHECK(Mode(f) == 0600);
  }
  CHECK(k->server_key_file == keys_dir + "/runtime.key");
  CHECK(k->allowed.size() == 4);
  CHECK(k->allowed.at(bus::ReadSecretKeyFile(k->agent_key_file)->public_key) == "agent");
  CHECK(k->allowed.at(bus::ReadSecretKeyFile(k->admin_key_file)->public_key) == "admin");
  CHECK(k->allowed.at(alice.public_key) == "feedback");
  CHECK(k->allowed.at(ops.public_key) == "admin");
  CHECK(k->allowed.count(k->server.public_key) == 0);

  // A second start reads the same keys.
  auto again = bus::PrepareClusterKeys(keys_dir, "", clients);
  REQUIRE(again.ok());
  CHECK(again->server.secret_key == k->server.secret_key);
  CHECK(again->allowed == k->allowed);

  // A key listed under two roles is a mistake, not a choice.
  clients.push_back({"alice-again", "admin", alice.public_key, ""});
  CHECK_FALSE(bus::PrepareClusterKeys(keys_dir, "", clients).ok());
  clients.pop_back();
  clients.push_back({"ghost", "admin", "", dir.file("ghost.pub")});
  CHECK_FALSE(bus::PrepareClusterKeys(keys_dir, "", clients).ok());
}

TEST_CASE("the ZAP handler admits listed keys with their role and refuses the rest", "[bus][curve]") {
  zmq::context_t ctx;
  auto server = NewPair(), agent = NewPair(), admin = NewPair(), stranger = NewPair();
  bus::Broker::Options o;
  o.control_endpoint = "tcp://127.0.0.1:*";
  o.events_endpoint = "tcp://127.0.0.1:*";
  o.curve_secret_key = server.secret_key;
  o.curve_clients = {{agent.public_key, "agent"}, {admin.public_key, "admin"}};
  auto broker = bus::Broker::Bind(ctx, o);
  REQUIRE(broker.ok());
  bus::Broker& b = **broker;

  for (auto [id, keys, role] : {std::tuple{"worker", agent, "agent"}, std::tuple{"cli-1", admin, "admin"}}) {
    INFO(id);
    auto client = CurveClient(ctx, id, b.control_endpoint(), server.public_key, keys);
    bus::Envelope hb = bus::MakeEnvelope("", "runtime");
    hb.mutable_heartbeat();
    REQUIRE(client->Send(hb).ok());
    auto in = ReceiveWithin(b, 5000);
    REQUIRE(in.has_value());
    CHECK(in->identity == id);
    CHECK(in->auth_role == role);
    bus::Envelope reply = bus::MakeReply(in->envelope, "runtime");
    reply.mutable_ack();
    REQUIRE(b.Send(id, reply));
    CHECK(client->Receive(5000).has_value());
  }
  CHECK(b.counters().rejected_keys() == 0);

  // An unlisted key: the handshake fails, nothing arrives, the refusal is counted.
  auto intruder = CurveClient(ctx, "intruder", b.control_endpoint(), server.public_key, stranger);
  bus::Envelope hb = bus::MakeEnvelope("", "runtime");
  hb.mutable_heartbeat();
  REQUIRE(intruder->Send(hb).ok());
  CHECK_FALSE(ReceiveWithin(b, 1000).has_value());
  CHECK(b.counters().rejected_keys() >= 1);
  CHECK(b.counters().ToProto().rejected_keys() == b.counters().rejected_keys());

  // A client that does not speak CURVE at all gets nothing either.
  auto plain = bus::BusClient::Connect(ctx, {"plain", b.control_endpoint()});
  REQUIRE(plain.ok());
  REQUIRE((*plain)->Send(hb).ok());
  CHECK_FALSE(ReceiveWithin(b, 500).has_value());

  // Events: a listed key subscribes; an unlisted one hears nothing.
  auto listener = CurveClient(ctx, "listener", b.control_endpoint(), server.public_key, admin);
  auto eavesdropper = CurveClient(ctx, "eve", b.control_endpoint(), server.public_key, stranger);
  REQUIRE(listener->SubscribeEvents(b.events_endpoint(), {""}).ok());
  REQUIRE(eavesdropper->SubscribeEvents(b.events_endpoint(), {""}).ok());
  std::optional<bus::BusClient::Event> heard;
  for (int i = 0; i < 100 && !heard; ++i) {
    bus::Envelope e = bus::MakeEnvelope("runtime", "");
    e.mutable_cluster_event()->set_what("tick");
    b.Publish("cluster", e);
    heard = listener->ReceiveEvent(50);
  }
  CHECK(heard.has_value());
  CHECK_FALSE(eavesdropper->ReceiveEvent(300).has_value());
}

TEST_CASE("roles: agents may not approve or command: only agents register as agents", "[bus][curve]") {
  bus::Envelope approve = bus::MakeEnvelope("x", "runtime");
  approve.mutable_approval_decision()->set_approved(true);
  CHECK_FALSE(bus::RoleRefusal("agent", approve).empty());
  CHECK(bus::RoleRefusal("feedback", approve).empty());
  CHECK(bus::RoleRefusal("admin", approve).empty());

  for (auto kind : {v1::Command::SHUTDOWN, v1::Command::DRAIN, v1::Command::PROMOTE, v1::Command::ROLLBACK}) {
    bus::Envelope cmd = bus::MakeEnvelope("x", "runtime");
    cmd.mutable_command()->set_kind(kind);
    INFO(v1::Command::Kind_Name(kind));
    CHECK_FALSE(bus::RoleRefusal("agent", cmd).empty());
    CHECK_FALSE(bus::RoleRefusal("feedback", cmd).empty());
    CHECK(bus::RoleRefusal("admin", cmd).empty());
  }
  bus::Envelope reload = bus::MakeEnvelope("x", "worker");
  reload.mutable_command()->set_kind(v1::Command::RELOAD_MODEL);
  CHECK_FALSE(bus::RoleRefusal("admin", reload).empty());  // only the runtime sends it

  bus::Envelope hello = bus::MakeEnvelope("x", "runtime");
  hello.mutable_hello()->set_role("worker");
  CHECK(bus::RoleRefusal("agent", hello).empty());
  CHECK_FALSE(bus::RoleRefusal("admin", hello).empty());
  hello.mutable_hello()->set_role("cli");
  CHECK(bus::RoleRefusal("admin", hello).empty());

  bus::Envelope feedback = bus::MakeEnvelope("x", "runtime");
  feedback.mutable_feedback()->set_task_id("t1");
  CHECK(bus::RoleRefusal("agent", feedback).empty());  // the simulator rates answers as its users
}
