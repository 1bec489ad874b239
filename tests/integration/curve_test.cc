// security.curve on a real cluster: the runtime's keys, an admin CLI, a
// listed feedback key, an unlisted key and an agent key acting above its role.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "runtime/bus/bus_client.h"
#include "runtime/bus/curve_keys.h"
#include "tests/integration/cluster_harness.h"

using namespace kaizen;
using kaizen::testing::Kaizen;
using kaizen::testing::TestCluster;
using kaizen::testing::WaitFor;
namespace fs = std::filesystem;

namespace {

unsigned Mode(const std::string& path) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

nlohmann::json RuntimeJson(const TestCluster& c) {
  std::ifstream in(c.state_dir() + "/runtime.json");
  return nlohmann::json::parse(in, nullptr, false);
}

// A bus client of this test process with the key pair in `key_file`.
std::unique_ptr<bus::BusClient> Connect(zmq::context_t& ctx, const TestCluster& c, const std::string& id,
                                        const std::string& key_file) {
  auto keys = bus::ReadSecretKeyFile(key_file);
  REQUIRE(keys.ok());
  auto rt = RuntimeJson(c);
  bus::BusClient::Options o;
  o.identity = id;
  o.control_endpoint = rt.value("control", "");
  o.curve_server_key = rt.value("curve_server_key", "");
  o.curve_keys = *keys;
  auto client = bus::BusClient::Connect(ctx, o);
  REQUIRE(client.ok());
  return std::move(client.value());
}

bus::Envelope Request(const std::string& id) { return bus::MakeEnvelope(id, "runtime"); }

Result<bus::Envelope> Hello(bus::BusClient& client) {
  bus::Envelope hello = Request(client.identity());
  hello.mutable_hello()->set_role("cli");
  return client.Call(hello, 3000);
}

}  // namespace

TEST_CASE("CURVE: listed keys by role, unlisted keys get nothing, owner-only key files", "[integration][curve]") {
  TestCluster cluster("curve");
  const std::string dir = fs::path(cluster.manifest_path()).parent_path().string();

  // kaizen keys: prints the public key, writes NAME.key (0600) and NAME.pub, refuses to overwrite.
  auto made = Kaizen("keys ops --dir " + dir);
  REQUIRE(made.exit_code == 0);
  const std::string ops_pub = Trim(made.out);
  CHECK(bus::IsZ85Key(ops_pub));
  CHECK(Mode(dir + "/ops.key") == 0600);
  CHECK(*bus::ReadPublicKeyFile(dir + "/ops.pub") == ops_pub);
  CHECK(Kaizen("keys ops --dir " + dir).exit_code == 1);
  CHECK(*bus::ReadPublicKeyFile(dir + "/ops.pub") == ops_pub);
  REQUIRE(Kaizen("keys alice --dir " + dir).exit_code == 0);
  REQUIRE(Kaizen("keys stranger --dir " + dir).exit_code == 0);
  const std::string alice_pub = *bus::ReadPublicKeyFile(dir + "/alice.pub");
  const std::string stranger_pub = *bus::ReadPublicKeyFile(dir + "/stranger.pub");

  std::string yaml = kaizen::testing::TestManifest("curve", "");
  yaml.replace(yaml.find("  runtime:\n"), 11,
               "  runtime:\n"
               "    security:\n"
               "      curve: true\n"
               "      clients:\n"
               "        - {name: ops, role: admin, public_key_file: ops.pub}\n"
               "        - {name: alice, role: feedback, public_key: \"" + alice_pub + "\"}\n");
  std::ofstream(cluster.manifest_path()) << yaml;
  REQUIRE(Kaizen("validate " + cluster.manifest_path()).exit_code == 0);

  // Agents connect with the runtime's agent key; `kaizen status` uses keys/admin.key.
  REQUIRE(cluster.Up().exit_code == 0);
  REQUIRE(cluster.WaitAllInState("idle", 30000));
  const std::string keys = cluster.state_dir() + "/keys";
  CHECK(Mode(cluster.state_dir()) == 0700);
  CHECK(Mode(keys) == 0700);
  for (const char* f : {"runtime.key", "agent.key", "admin.key"}) {
    INFO(f);
    CHECK(Mode(keys + "/" + f) == 0600);
  }
  CHECK(bus::IsZ85Key(RuntimeJson(cluster).value("curve_server_key", "")));

  // The listed admin key, by flag and by $KAIZEN_KEY_FILE.
  CHECK(Kaizen("status --key-file " + dir + "/ops.key --state-dir " + cluster.state_dir()).exit_code == 0);
  ::setenv("KAIZEN_KEY_FILE", (dir + "/ops.key").c_str(), 1);
  CHECK(Kaizen("status --state-dir " + cluster.state_dir()).exit_code == 0);
  ::unsetenv("KAIZEN_KEY_FILE");

  zmq::context_t ctx;
  SECTION("an unlisted key gets no reply, and the refusal is counted and logged") {
    auto stranger = Connect(ctx, cluster, "stranger", dir + "/stranger.key");
    auto reply = Hello(*stranger);
    CHECK(reply.status().code() == Status::Code::kUnavailable);  // timed out
    bus::Envelope status = Request("stranger");
    status.mutable_status_request();
    CHECK_FALSE(stranger->Call(status, 1000).ok());
    // The CLI with that key cannot reach the runtime either.
    CHECK(Kaizen("status --key-file " + dir + "/stranger.key --state-dir " + cluster.state_dir()).exit_code != 0);

    auto s = cluster.Status();
    REQUIRE(s.is_object());
    INFO(s["bus"].dump());
    CHECK(s["bus"]["rejected_keys"].get<int>() >= 1);
    std::ifstream log(cluster.state_dir() + "/logs/runtime.log");
    std::stringstream text;
    text << log.rdbuf();
    CHECK(text.str().find("refused CURVE key " + stranger_pub) != std::string::npos);
  }

  SECTION("an agent key may not approve a plan or shut the cluster down; a feedback key may approve") {
    auto rogue = Connect(ctx, cluster, "rogue", cluster.state_dir() + "/keys/agent.key");
    auto welcome = Hello(*rogue);
    REQUIRE(welcome.ok());
    CHECK(welcome->has_welcome());

    bus::Envelope approve = Request("rogue");
    approve.mutable_approval_decision()->set_request_id("c1");
    approve.mutable_approval_decision()->set_approved(true);
    auto refused = rogue->Call(approve, 3000);
    REQUIRE(refused.ok());
    REQUIRE(refused->has_error());
    CHECK(refused->error().code() == v1::Error::FORBIDDEN);

    bus::Envelope shutdown = Request("rogue");
    shutdown.mutable_command()->set_kind(v1::Command::SHUTDOWN);
    refused = rogue->Call(shutdown, 3000);
    REQUIRE(refused.ok());
    REQUIRE(refused->has_error());
    CHECK(refused->error().code() == v1::Error::FORBIDDEN);

    // A person's key passes the role check (there is just no approval waiting).
    auto alice = Connect(ctx, cluster, "alice", dir + "/alice.key");
    REQUIRE(Hello(*alice).ok());
    approve.set_sender("alice");
    approve.clear_message_id();
    auto answered = alice->Call(approve, 3000);
    REQUIRE(answered.ok());
    REQUIRE(answered->has_error());
    CHECK(answered->error().code() == v1::Error::BAD_REQUEST);

    auto s = cluster.Status();
    REQUIRE(s.is_object());
    CHECK(s["cluster"]["phase"] == "running");
    CHECK(s["bus"]["dropped"]["unexpected"].get<int>() >= 2);
  }

  SECTION("a feedback key may not start a cycle, move the A/B split or end the run; an agent key may send them") {
    auto alice = Connect(ctx, cluster, "alice", dir + "/alice.key");
    REQUIRE(Hello(*alice).ok());
    auto refused = [&](bus::Envelope e) {
      e.set_sender("alice");
      auto reply = alice->Call(e, 3000);
      REQUIRE(reply.ok());
      INFO(reply->DebugString());
      return reply->has_error() && reply->error().code() == v1::Error::FORBIDDEN &&
             reply->error().message().find("needs an agent or admin key, not feedback") != std::string::npos;
    };
    bus::Envelope trigger = Request("alice");
    trigger.mutable_trigger()->set_policy("performance");
    trigger.mutable_trigger()->set_reason("a person pretending to be monitoring");
    CHECK(refused(trigger));
    bus::Envelope split = Request("alice");
    split.mutable_traffic_split()->set_candidate_weight(1.0);
    CHECK(refused(split));
    bus::Envelope report = Request("alice");
    report.mutable_scenario_report()->set_json("{}");
    CHECK(refused(report));
    // Nothing started: no cycle, the cluster still runs.
    auto s = cluster.Status();
    REQUIRE(s.is_object());
    INFO(s.dump());
    CHECK(s["cluster"]["phase"] == "running");
    auto cycles = Kaizen("cycles --state-dir " + cluster.state_dir());
    CHECK(cycles.out.find("c1") == std::string::npos);
  }

  CHECK(cluster.Down().exit_code == 0);
}
