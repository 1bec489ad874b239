// Two hosts without a second machine: the runtime in one network namespace,
// agents with placement: external in another, over tcp:// and CURVE, joined
// by a veth link the test pulls for 5 s mid-traffic.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "runtime/base/spawn_process.h"
#include "tests/faults/fault_helpers.h"
#include "tests/multihost/netns_pair.h"

using namespace kaizen::testing;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

// ctest counts exit code 77 as skipped (SKIP_RETURN_CODE): never a silent pass.
void SkipUnlessNetns() {
  const std::string why = NetnsUnavailableReason();
  if (why.empty()) return;
  std::printf("SKIPPED: %s\n", why.c_str());
  std::fflush(stdout);
  std::_Exit(77);
}

// An agent started by hand on host b, as an operator would: kaizen agent
// --connect over tcp with its own key. Ended by pid if it outlives the test.
class HostBAgent {
 public:
  HostBAgent(const NetnsPair& hosts, const std::string& role, const std::string& connect,
             const std::string& key_file, const std::string& server_pub, const std::string& log) {
    auto pid = kaizen::SpawnProcess({"/usr/sbin/ip", "netns", "exec", hosts.b(), KAIZEN_BINARY, "agent", "--role", role,
                                     "--id", role, "--connect", connect, "--key-file", key_file, "--server-key",
                                     server_pub, "--log-level", "info"},
                                    log);
    REQUIRE(pid.ok());
    pid_ = *pid;
    std::printf("host b: started %s agent, pid %d\n", role.c_str(), pid_);
  }
  ~HostBAgent() {
    if (pid_ > 0 && ::waitpid(pid_, nullptr, WNOHANG) == 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  // Waits for it to exit by itself; its exit code, or -1 if it did not in time.
  int WaitExit(int timeout_ms) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = 0;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return -1;
  }

 private:
  pid_t pid_ = 0;
};

// The load scenario with its runtime bound on host a's address and the
// worker and training agent external (started on host b).
std::string TwoHostManifest(const std::string& name, const std::string& host_b_pub) {
  std::string m = ScenarioManifest(name, 0.0);
  auto insert_after = [&m](const std::string& at, const std::string& text) {
    const auto pos = m.find(at);
    REQUIRE(pos != std::string::npos);
    m.insert(pos + at.size(), text);
  };
  const std::string a = NetnsPair::kAddressA;
  insert_after("  runtime:\n", "    endpoints: {control: \"tcp://" + a + ":5555\", events: \"tcp://" + a + ":5556\"}\n"
                               "    security:\n"
                               "      curve: true\n"
                               "      clients:\n"
                               "        - {name: host-b, role: agent, public_key_file: " + host_b_pub + "}\n");
  insert_after("  worker:\n", "    placement: external\n");
  m += "  training: {placement: external}\n";
  return m;
}

}  // namespace

TEST_CASE("two hosts over tcp and CURVE: agents started on host b join, a pulled link is reported, they reconnect, "
          "no task is lost or repeated, and a cycle promotes",
          "[multihost]") {
  SkipUnlessNetns();
  auto hosts = NetnsPair::Create("kz" + std::to_string(::getpid()));
  REQUIRE(hosts.ok());
  NetnsPair& net = **hosts;

  TestCluster c("two-hosts");
  c.set_command_prefix(net.ExecIn(net.a()));
  const std::string dir = fs::path(c.state_dir()).parent_path().string();
  REQUIRE(Kaizen("keys host-b --dir " + dir).exit_code == 0);
  std::ofstream(c.manifest_path()) << TwoHostManifest("two-hosts", dir + "/host-b.pub");
  REQUIRE(c.Up().exit_code == 0);

  const std::string connect = std::string("tcp://") + NetnsPair::kAddressA + ":5555";
  const std::string server_pub = c.state_dir() + "/keys/runtime.pub";
  HostBAgent worker(net, "worker", connect, dir + "/host-b.key", server_pub, dir + "/host-b-worker.log");
  HostBAgent training(net, "training", connect, dir + "/host-b.key", server_pub, dir + "/host-b-training.log");

  // Mid-traffic, before the drift: the only worker is on host b.
  const bool served = WaitFor([&] { return CountEvents(c.state_dir(), "task_result") >= 600; }, 90000);
  if (!served) {
    // What host b's agents and the runtime said, since the state dir goes with the test
    // (seen once in a clean clone: no task served in 90 s; passes alone in about 27 s).
    for (const char* log : {"host-b-worker.log", "host-b-training.log"}) {
      const std::string text = ReadFile(dir + "/" + log);
      std::printf("--- %s (last 3000 bytes)\n%s\n", log, text.substr(text.size() > 3000 ? text.size() - 3000 : 0).c_str());
    }
    std::printf("--- kaizen status\n%s\n", c.Status().dump(1).c_str());
  }
  REQUIRE(served);
  json before = c.Agent("worker");
  std::printf("worker before the cut: %s\n", before.dump().c_str());
  CHECK(before["placement"] == "external");
  REQUIRE(net.SetLinkUp(false).ok());
  std::printf("fault: pulled the link between the hosts for 5 s\n");
  std::this_thread::sleep_for(std::chrono::seconds(5));
  const json during = c.Agent("worker");
  REQUIRE(net.SetLinkUp(true).ok());
  std::printf("worker during the cut: %s\n", during.dump().c_str());
  CHECK(during["state"] == "failed");
  CHECK(during["detail"].get<std::string>().find("external agent") != std::string::npos);

  json s = c.WaitSummary();
  const int lost = CountClusterEvents(c.state_dir(), "agent_lost", "worker");
  const int joined = CountClusterEvents(c.state_dir(), "agent_joined", "worker");
  const json after = c.Agent("worker");
  CHECK(c.Down().exit_code == 0);
  // `kaizen down` drains the agents it did not start, and they exit 0.
  CHECK(worker.WaitExit(15000) == 0);
  CHECK(training.WaitExit(15000) == 0);

  REQUIRE(s.is_object());
  INFO(s.dump(2));
  PrintAccounting("two hosts, the link pulled for 5 s", s);
  std::printf("worker: lost %d time(s), joined %d time(s); after: %s\n", lost, joined, after.dump().c_str());
  CHECK(lost >= 1);
  CHECK(joined >= 2);
  CHECK(after["connected"] == true);
  CHECK(after["node"].get<std::string>().size() > 0);
  REQUIRE(s["cycles"].size() >= 1);
  CHECK(s["cycles"][0]["outcome"] == "promoted");
  CheckAccounting(s);
}
