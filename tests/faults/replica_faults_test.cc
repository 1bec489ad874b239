// Worker replicas under load: the router spreads tasks over the replicas of
// an arm, and a replica killed during the A/B test loses and repeats no task
// and leaves the rollout to decide as it would have.
#include <catch2/catch.hpp>

#include <fstream>

#include "tests/faults/fault_helpers.h"

using namespace kaizen::testing;
using json = nlohmann::json;

namespace {

// The load scenario with `replicas` worker processes and a two-process clone.
std::string ReplicaManifest(const std::string& name, int replicas) {
  std::string m = ScenarioManifest(name, 0.0, 1000, 16000, 6000);
  const std::string worker = "  worker:\n";
  m.replace(m.find(worker), worker.size(),
            worker + "    replicas: " + std::to_string(replicas) + "\n    clone_replicas: 2\n");
  return m;
}

}  // namespace

TEST_CASE("at 1000 tasks/s with three worker replicas, a candidate replica killed during the A/B test loses and "
          "repeats no task, and the candidate is still promoted",
          "[faults]") {
  TestCluster c("fault-replicas");
  std::ofstream(c.manifest_path()) << ReplicaManifest("fault-replicas", 3);
  REQUIRE(c.Up().exit_code == 0);
  // The candidate arm has three processes; one dies with tasks in flight.
  KillAt(c, "rolling_out", "candidate replica worker-2", [&] { return PidOf(c, "worker-2"); });
  json s = c.WaitSummary();
  json replica = c.Agent("worker-2");
  const auto answered = EventsByAgent(c.state_dir(), "task_result");
  CHECK(c.Down().exit_code == 0);
  REQUIRE(s.is_object());
  INFO(s.dump(2));
  PrintAccounting("a candidate replica killed at 1000 tasks/s", s);
  for (const auto& [agent, n] : answered) std::printf("answers by %s: %d\n", agent.c_str(), n);
  REQUIRE(s["cycles"].size() >= 1);
  const json& cy = s["cycles"][0];
  CHECK(cy["outcome"] == "promoted");
  CHECK(s["serving"] == cy["candidate"]);
  CHECK(replica["restarts"] == 1);
  CheckAccounting(s);
  // Every process of both arms served: the worker's three, the clone's two.
  for (const char* id : {"worker", "worker-2", "worker-3", "worker-clone", "worker-clone-2"}) {
    INFO(id);
    CHECK(answered.count(id) == 1);
    if (answered.count(id)) CHECK(answered.at(id) > 100);
  }
}
