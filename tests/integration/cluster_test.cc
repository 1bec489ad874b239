// A real cluster: the kaizen binary, seven agent processes, real sockets.
#include <signal.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <set>
#include <sstream>
#include <zmq.hpp>

#include "envelope.pb.h"
#include "tests/integration/cluster_harness.h"

using kaizen::testing::Kaizen;
using kaizen::testing::ProcessAlive;
using kaizen::testing::TestCluster;
using kaizen::testing::WaitFor;

namespace {

const std::set<std::string> kRoles = {"worker", "monitoring", "planning", "datagen",
                                      "training", "evaluation", "deployment"};

std::string ControlEndpoint(const TestCluster& c) {
  std::ifstream in(c.state_dir() + "/runtime.json");
  return nlohmann::json::parse(in).value("control", "");
}

std::vector<nlohmann::json> JsonLines(const std::string& text) {
  std::vector<nlohmann::json> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(nlohmann::json::parse(line));
  }
  return out;
}

}  // namespace

TEST_CASE("a cluster runs one process per role, restarts a killed agent and stops clean", "[integration]") {
  TestCluster cluster("restart");
  auto up = cluster.Up();
  REQUIRE(up.exit_code == 0);
  REQUIRE(cluster.WaitAllInState("idle", 30000));

  auto status = cluster.Status();
  std::set<std::string> roles;
  std::set<int64_t> pids;
  for (const auto& a : status["agents"]) {
    roles.insert(a["role"].get<std::string>());
    pids.insert(a["pid"].get<int64_t>());
    CHECK(ProcessAlive(static_cast<pid_t>(a["pid"].get<int64_t>())));
    CHECK(a["restarts"] == 0);
  }
  CHECK(roles == kRoles);
  CHECK(pids.size() == 7);

  auto worker = cluster.Agent("worker");
  pid_t old_pid = static_cast<pid_t>(worker["pid"].get<int64_t>());
  REQUIRE(::kill(old_pid, SIGKILL) == 0);
  INFO("killed worker pid " << old_pid);
  bool restarted = WaitFor(
      [&] {
        auto w = cluster.Agent("worker");
        return !w.is_null() && w["restarts"] == 1 && w["state"] == "idle" && w["pid"].get<int64_t>() != old_pid;
      },
      15000);
  CHECK(restarted);
  CHECK(cluster.Agent("worker")["detail"].is_string());

  auto down = cluster.Down();
  CHECK(down.exit_code == 0);
  for (pid_t pid : cluster.seen_pids()) {
    INFO("pid " << pid);
    CHECK(WaitFor([pid] { return !ProcessAlive(pid); }, 5000));
  }
}

TEST_CASE("bad frames on the control socket are dropped, counted, and never fatal", "[integration]") {
  TestCluster cluster("garbage");
  REQUIRE(cluster.Up().exit_code == 0);
  REQUIRE(cluster.WaitAllInState("idle", 30000));

  zmq::context_t ctx;
  zmq::socket_t intruder(ctx, zmq::socket_type::dealer);
  intruder.set(zmq::sockopt::routing_id, "intruder");
  intruder.set(zmq::sockopt::linger, 0);
  intruder.connect(ControlEndpoint(cluster));

  const std::string garbage = "\xff\x00\x13garbage that is not a protobuf envelope\xfe";
  intruder.send(zmq::buffer(garbage), zmq::send_flags::none);                       // malformed
  intruder.send(zmq::str_buffer("one"), zmq::send_flags::sndmore);                  // wrong frame count
  intruder.send(zmq::str_buffer("two"), zmq::send_flags::none);
  kaizen::v1::Envelope forged;                                                      // forged sender
  forged.set_sender("worker");
  forged.set_message_id("m1");
  forged.mutable_heartbeat();
  intruder.send(zmq::buffer(forged.SerializeAsString()), zmq::send_flags::none);
  kaizen::v1::Envelope unknown;                                                     // never said Hello
  unknown.set_sender("intruder");
  unknown.set_message_id("m2");
  unknown.mutable_status_request();
  intruder.send(zmq::buffer(unknown.SerializeAsString()), zmq::send_flags::none);
  kaizen::v1::Envelope impostor;                                                    // not in the manifest
  impostor.set_sender("intruder");
  impostor.set_message_id("m3");
  impostor.mutable_hello()->set_role("worker");
  intruder.send(zmq::buffer(impostor.SerializeAsString()), zmq::send_flags::none);

  nlohmann::json bus;
  bool counted = WaitFor(
      [&] {
        auto s = cluster.Status();
        if (s.is_null()) return false;
        bus = s["bus"];
        return bus["dropped_frames"].get<int>() >= 5;
      },
      10000);
  INFO(bus.dump());
  CHECK(counted);
  CHECK(bus["dropped"]["malformed"] == 2);
  CHECK(bus["dropped"]["forged_sender"] == 1);
  CHECK(bus["dropped"]["unknown_sender"] == 2);
  // Still serving: every agent is still idle and the runtime answers.
  CHECK(cluster.WaitAllInState("idle", 5000));
  CHECK(Kaizen("status --state-dir " + cluster.state_dir()).exit_code == 0);
  CHECK(cluster.Down().exit_code == 0);
}

TEST_CASE("oversized, truncated and misdirected messages and a flood are counted, and the runtime keeps serving",
          "[integration]") {
  TestCluster cluster("hostile");
  // A low per-peer rate, so that a flood from one peer is easy to make.
  std::string yaml = kaizen::testing::TestManifest("hostile", "");
  yaml.replace(yaml.find("  runtime:\n"), 11, "  runtime:\n    bus: {max_frame_bytes: 65536, max_messages_per_s: 2000}\n");
  std::ofstream(cluster.manifest_path()) << yaml;
  REQUIRE(cluster.Up().exit_code == 0);
  REQUIRE(cluster.WaitAllInState("idle", 30000));

  zmq::context_t ctx;
  zmq::socket_t peer(ctx, zmq::socket_type::dealer);
  peer.set(zmq::sockopt::routing_id, "hostile-cli");
  peer.set(zmq::sockopt::linger, 0);
  peer.set(zmq::sockopt::sndhwm, 0);  // queue the whole flood
  peer.connect(ControlEndpoint(cluster));
  auto envelope = [](const char* id) {
    kaizen::v1::Envelope e;
    e.set_sender("hostile-cli");
    e.set_message_id(id);
    return e;
  };
  kaizen::v1::Envelope hello = envelope("h");
  hello.mutable_hello()->set_role("cli");
  peer.send(zmq::buffer(hello.SerializeAsString()), zmq::send_flags::none);

  kaizen::v1::Envelope big = envelope("big");                                        // oversized
  big.mutable_task()->set_input(std::string(200000, 'x'));
  peer.send(zmq::buffer(big.SerializeAsString()), zmq::send_flags::none);
  std::string cut = hello.SerializeAsString();                                        // truncated
  cut.resize(cut.size() - 3);
  peer.send(zmq::buffer(cut), zmq::send_flags::none);
  kaizen::v1::Envelope answer = envelope("wrong");                                    // a CLI answering a task
  answer.mutable_task_result()->set_task_id("t1");
  peer.send(zmq::buffer(answer.SerializeAsString()), zmq::send_flags::none);
  std::string noise(64, '\0');                                                       // random bytes
  for (size_t i = 0; i < noise.size(); ++i) noise[i] = static_cast<char>((i * 7919 + 13) % 251);
  peer.send(zmq::buffer(noise), zmq::send_flags::none);
  kaizen::v1::Envelope hb = envelope("flood");                                         // a flood
  hb.mutable_heartbeat();
  const std::string flood = hb.SerializeAsString();
  for (int i = 0; i < 30000; ++i) peer.send(zmq::buffer(flood), zmq::send_flags::none);

  nlohmann::json bus;
  bool counted = WaitFor(
      [&] {
        auto s = cluster.Status();
        if (s.is_null()) return false;
        bus = s["bus"];
        // The runtime works through the queued flood for a while: wait for most of it.
        return bus["dropped"]["rate_limited"].get<int>() > 1000 && bus["dropped"]["unexpected"].get<int>() >= 1;
      },
      15000);
  INFO(bus.dump());
  CHECK(counted);
  CHECK(bus["dropped"]["oversized"] == 1);
  CHECK(bus["dropped"]["malformed"].get<int>() >= 1);
  CHECK(bus["dropped"]["unexpected"] == 1);
  CHECK(bus["dropped"]["rate_limited"].get<int>() > 1000);
  // Other peers are not limited: every agent is still idle and the runtime answers.
  CHECK(cluster.WaitAllInState("idle", 5000));
  CHECK(Kaizen("status --state-dir " + cluster.state_dir()).exit_code == 0);
  CHECK(cluster.Down().exit_code == 0);
}

TEST_CASE("clients saying Hello under ever new identities cannot grow the runtime's peer table past its cap",
          "[integration]") {
  TestCluster cluster("many-clis");
  REQUIRE(cluster.Up().exit_code == 0);
  REQUIRE(cluster.WaitAllInState("idle", 30000));
  zmq::context_t ctx;
  const int kClients = 4200;  // the cap is 4096
  int welcomed = 0;
  for (int i = 0; i < kClients; ++i) {
    zmq::socket_t peer(ctx, zmq::socket_type::dealer);
    const std::string id = "cli-" + std::to_string(i);
    peer.set(zmq::sockopt::routing_id, id);
    peer.set(zmq::sockopt::linger, 0);
    peer.set(zmq::sockopt::rcvtimeo, 5000);
    peer.connect(ControlEndpoint(cluster));
    kaizen::v1::Envelope hello;
    hello.set_sender(id);
    hello.set_message_id("h" + std::to_string(i));
    hello.mutable_hello()->set_role("cli");
    peer.send(zmq::buffer(hello.SerializeAsString()), zmq::send_flags::none);
    zmq::message_t reply;
    if (peer.recv(reply)) ++welcomed;
  }
  CHECK(welcomed == kClients);
  auto s = cluster.Status();
  REQUIRE(s.is_object());
  INFO(s["bus"].dump());
  // The status command itself is one more client.
  CHECK(s["bus"]["cli_peers"].get<int>() <= 4096);
  CHECK(s["bus"]["cli_peers_forgotten"].get<int>() >= kClients - 4096);
  CHECK(cluster.WaitAllInState("idle", 5000));
  CHECK(cluster.Down().exit_code == 0);
}

TEST_CASE("agents die with the runtime even when it is killed with SIGKILL", "[integration]") {
  TestCluster cluster("orphans");
  REQUIRE(cluster.Up().exit_code == 0);
  REQUIRE(cluster.WaitAllInState("idle", 30000));
  cluster.Status();  // records the agent pids
  pid_t runtime = cluster.RuntimePid();
  REQUIRE(runtime > 0);
  REQUIRE(::kill(runtime, SIGKILL) == 0);
  for (pid_t pid : cluster.seen_pids()) {
    INFO("pid " << pid);
    CHECK(WaitFor([pid] { return !ProcessAlive(pid); }, 10000));
  }
  // The same state dir starts again: stale socket files and the lock are handled.
  REQUIRE(cluster.Up().exit_code == 0);
  CHECK(cluster.WaitAllInState("idle", 30000));
  CHECK(cluster.Down().exit_code == 0);
}

TEST_CASE("kaizen logs shows every state change, and -f follows live with nothing missed", "[integration]") {
  TestCluster cluster("logs");
  REQUIRE(cluster.Up().exit_code == 0);
  REQUIRE(cluster.WaitAllInState("idle", 30000));

  // Follow from the start, in the background, into a file.
  std::string follow_file = cluster.state_dir() + "/../follow.jsonl";
  std::string cmd = std::string(KAIZEN_BINARY) + " logs -f -o json --state-dir " + cluster.state_dir() + " > " +
                    follow_file + " 2>/dev/null";
  FILE* follower = ::popen(cmd.c_str(), "r");
  REQUIRE(follower != nullptr);

  auto history = JsonLines(Kaizen("logs -o json --state-dir " + cluster.state_dir()).out);
  std::set<std::string> became_idle;
  for (const auto& e : history) {
    if (e["kind"] == "state_change" && e["from"] == "starting" && e["to"] == "idle") {
      became_idle.insert(e["agent"].get<std::string>());
      CHECK(kRoles.count(e["role"].get<std::string>()) == 1);
    }
  }
  CHECK(became_idle.size() == 7);

  // Make live events happen while -f runs: a crash and a restart.
  auto planning = cluster.Agent("planning");
  ::kill(static_cast<pid_t>(planning["pid"].get<int64_t>()), SIGKILL);
  CHECK(WaitFor([&] { auto p = cluster.Agent("planning"); return p["restarts"] == 1 && p["state"] == "idle"; }, 15000));
  CHECK(cluster.Down().exit_code == 0);
  ::pclose(follower);  // -f ends by itself once the runtime has stopped

  std::ifstream in(follow_file);
  std::stringstream ss;
  ss << in.rdbuf();
  auto followed = JsonLines(ss.str());
  REQUIRE(!followed.empty());
  // Sequence numbers 1..N without a gap or a duplicate: history and live joined.
  for (size_t i = 0; i < followed.size(); ++i) {
    INFO("line " << i << ": " << followed[i].dump());
    REQUIRE(followed[i]["seq"] == i + 1);
  }
  bool saw_failure = false, saw_stopped = false;
  for (const auto& e : followed) {
    if (e["kind"] == "state_change" && e["agent"] == "planning" && e["to"] == "failed") saw_failure = true;
    if (e["kind"] == "cluster_event" && e["what"] == "stopped") saw_stopped = true;
  }
  CHECK(saw_failure);
  CHECK(saw_stopped);
  // The text form has time, agent, role, and the transition.
  auto text = Kaizen("logs --agent planning --state-dir " + cluster.state_dir()).out;
  CHECK(text.find("planning") != std::string::npos);
  CHECK(text.find("starting -> idle") != std::string::npos);
}
