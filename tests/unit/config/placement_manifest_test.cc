// Where agents run: placement and Slurm resources, worker replicas, and the
// rule that a tcp:// cluster is CURVE-secured unless written otherwise.
#include <catch2/catch.hpp>

#include "config/manifest.h"
#include "tests/unit/config/test_util.h"

using namespace kaizen::config;
using namespace kaizen::config::testing;

namespace {

const AgentSpec* PlacementAgent(const Manifest& m, const std::string& id) {
  for (const auto& a : m.agents) {
    if (a.id == id) return &a;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("a tcp endpoint without CURVE is refused at the key, unless insecure_tcp is written out", "[config]") {
  const std::string tcp = "  runtime:\n"                                              // 8
                          "    endpoints:\n"                                          // 9
                          "      control: \"tcp://0.0.0.0:5555\"\n"                   // 10
                          "      events: \"tcp://0.0.0.0:5556\"\n";                   // 11
  LoadResult open = LoadManifestString(Minimal(tcp), "m.yaml");
  INFO(Dump(open));
  REQUIRE(open.errors.size() == 2);
  CHECK(open.errors[0].ToString().rfind("m.yaml:10:16: error: spec.runtime.endpoints.control: a tcp:// endpoint needs "
                                        "spec.runtime.security.curve: true",
                                        0) == 0);
  CHECK(open.errors[1].path == "spec.runtime.endpoints.events");
  CHECK(open.errors[1].line == 11);

  CHECK(LoadManifestString(Minimal(tcp + "    security: {curve: true}\n"), "m.yaml").ok());
  CHECK(LoadManifestString(Minimal(tcp + "    security: {insecure_tcp: true}\n"), "m.yaml").ok());
  // ipc:// stays on this host: no rule.
  CHECK(LoadManifestString(Minimal(), "m.yaml").ok());
}

TEST_CASE("placement: each agent from its section, else spec.runtime.launcher, resources typed", "[config]") {
  LoadResult forked = LoadManifestString(Minimal(), "m.yaml");
  REQUIRE(forked.ok());
  CHECK(forked.manifest.runtime.launcher == Placement::kFork);
  for (const auto& a : forked.manifest.agents) {
    CHECK(a.placement == Placement::kFork);
    CHECK(a.resources.cpus == 1);
    CHECK(a.resources.mem.empty());
    CHECK(a.resources.gres.empty());
  }
  CHECK(forked.manifest.slurm.poll_interval_ms == 1000);
  CHECK(forked.manifest.slurm.partition.empty());

  LoadResult r = LoadManifestString(Minimal("  runtime: {launcher: slurm}\n"
                                            "  slurm: {partition: gpu, account: ml, time_limit: \"2:00:00\", "
                                            "extra_args: [\"--qos=high\"]}\n"
                                            "  training: {placement: slurm, resources: {cpus: 4, mem: 8G, gres: \"gpu:1\"}}\n"
                                            "  monitoring: {placement: fork}\n"
                                            "  evaluation: {placement: external}\n"),
                                    "m.yaml");
  INFO(Dump(r));
  REQUIRE(r.ok());
  const Manifest& m = r.manifest;
  CHECK(m.runtime.launcher == Placement::kSlurm);
  CHECK(PlacementAgent(m, "worker")->placement == Placement::kSlurm);
  CHECK(PlacementAgent(m, "monitoring")->placement == Placement::kFork);
  CHECK(PlacementAgent(m, "evaluation")->placement == Placement::kExternal);
  const AgentSpec* training = PlacementAgent(m, "training");
  CHECK(training->placement == Placement::kSlurm);
  CHECK(training->resources.cpus == 4);
  CHECK(training->resources.mem == "8G");
  CHECK(training->resources.gres == "gpu:1");
  CHECK(m.slurm.partition == "gpu");
  CHECK(m.slurm.account == "ml");
  CHECK(m.slurm.time_limit == "2:00:00");
  CHECK(m.slurm.extra_args == std::vector<std::string>{"--qos=high"});
  CHECK(std::string(PlacementName(Placement::kExternal)) == "external");

  LoadResult bad = LoadManifestString(Minimal("  training: {placement: cloud, resources: {mem: lots}}\n"), "m.yaml");
  INFO(Dump(bad));
  CHECK(bad.errors.size() == 2);
}

TEST_CASE("worker replicas: ids <id>, <id>-2, ... in start order, with the same settings", "[config]") {
  LoadResult r = LoadManifestString(Minimal("    replicas: 3\n    clone_replicas: 2\n"), "m.yaml");
  INFO(Dump(r));
  REQUIRE(r.ok());
  std::vector<std::string> workers;
  for (const auto& a : r.manifest.agents) {
    if (a.role == "worker") workers.push_back(a.id);
  }
  CHECK(workers == std::vector<std::string>{"worker", "worker-2", "worker-3"});
  CHECK(PlacementAgent(r.manifest, "worker-3")->settings == PlacementAgent(r.manifest, "worker")->settings);
  CHECK(r.manifest.spec.at("worker").at("clone_replicas") == 2);
  CHECK(ReplicaIds("w-clone", 2) == std::vector<std::string>{"w-clone", "w-clone-2"});
  CHECK(ReplicaIds("w", 1) == std::vector<std::string>{"w"});

  CHECK_FALSE(LoadManifestString(Minimal("    replicas: 0\n"), "m.yaml").ok());
}

TEST_CASE("training on Slurm: the command trainer needs its command, the builtin one nothing more", "[config]") {
  LoadResult no_command = LoadManifestString(Minimal("  training: {backend: slurm, slurm: {trainer: command}}\n"), "m.yaml");
  INFO(Dump(no_command));
  REQUIRE(no_command.errors.size() == 1);
  CHECK(no_command.errors[0].path == "spec.training.command");
  CHECK(no_command.errors[0].message.find("slurm.trainer: command") != std::string::npos);
  CHECK(LoadManifestString(Minimal("  training: {backend: slurm, slurm: {trainer: command}, command: \"true\"}\n"),
                           "m.yaml")
            .ok());
  CHECK(LoadManifestString(Minimal("  training: {backend: slurm, slurm: {gres: \"gpu:1\", mem: 4G}}\n"), "m.yaml").ok());
}
