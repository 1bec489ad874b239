// Whole cycles on the test Slurm cluster: the worker and the training agent
// run as Slurm jobs and the training run is a batch job of its own. A worker
// job cancelled mid-traffic is submitted again and loses no task; a training
// job cancelled from outside is retried once, then the cycle aborts naming
// Slurm's reason; after `kaizen down` no job of the cluster is left.
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>

#include "tests/faults/fault_helpers.h"
#include "tests/slurm/slurm_test_cluster.h"

namespace kaizen::slurm {
namespace {

using json = nlohmann::json;

// The load scenario (tests/integration/cluster_harness.h) with the worker and
// the training agent placed on Slurm, training runs as Slurm jobs, and `training`
// (YAML for spec.training) appended.
std::string SlurmCycleManifest(const std::string& name, const std::string& training) {
  std::string m = testing::ScenarioManifest(name, 0.0);
  const std::string worker = "  worker:\n";
  const auto at = m.find(worker);
  if (at == std::string::npos) return "";
  m.insert(at + worker.size(), "    placement: slurm\n    resources: {cpus: 1, mem: 512M}\n");
  return m + "  slurm:\n    poll_interval_ms: 200\n" + training;
}

// The one live job under `comment` ("" when none).
std::string SlurmCycleLiveJob(const SlurmClient& client, const std::string& comment) {
  auto jobs = client.ListByComment(comment);
  if (!jobs.ok()) return "";
  for (const auto& j : *jobs) {
    if (!IsFinal(j.state)) return j.id;
  }
  return "";
}

}  // namespace

TEST_CASE("worker and training on Slurm: a cycle promotes, the worker's job cancelled mid-traffic loses no task, "
          "and down leaves no job",
          "[slurm]") {
  SlurmClient client = SlurmTestClusterOrSkip();
  testing::TestCluster c("slurm-cycle");
  const std::string manifest = SlurmCycleManifest(
      "slurm-cycle", "  training:\n    placement: slurm\n    backend: slurm\n    slurm: {trainer: builtin, cpus: 1}\n");
  REQUIRE_FALSE(manifest.empty());
  { std::ofstream(c.manifest_path()) << manifest; }
  REQUIRE(c.Up().exit_code == 0);
  const std::string agents = KaizenJobComment("slurm-cycle", c.state_dir());
  const std::string training = KaizenJobComment("slurm-cycle", c.state_dir(), "training");

  // Mid-traffic, before the drift: the only worker is a Slurm job.
  REQUIRE(testing::WaitFor([&] { return testing::CountEvents(c.state_dir(), "task_result") >= 600; }, 90000));
  const json before = c.Agent("worker");
  INFO(before.dump());
  REQUIRE(before["placement"] == "slurm");
  const std::string old_job = before["job_id"].get<std::string>();
  REQUIRE_FALSE(old_job.empty());
  REQUIRE(client.Cancel(old_job).ok());
  std::printf("fault: scancel %s, the worker's job, at 600 answers\n", old_job.c_str());
  json after;
  const bool back = testing::WaitFor(
      [&] {
        after = c.Agent("worker");
        return after.is_object() && after["job_id"] != old_job && after["state"] == "idle";
      },
      60000);
  INFO(after.dump());
  CHECK(back);

  json s = c.WaitSummary();
  const std::string journal = testing::Kaizen("logs --state-dir " + c.state_dir()).out;
  REQUIRE(c.Down().exit_code == 0);
  CHECK(SlurmTestLiveJobs(client, agents) == 0);
  CHECK(SlurmTestLiveJobs(client, training) == 0);
  REQUIRE(s.is_object());
  INFO(s.dump(2));
  testing::PrintAccounting("worker and training on Slurm, the worker's job cancelled", s);
  REQUIRE(s["cycles"].size() >= 1);
  CHECK(s["cycles"][0]["outcome"] == "promoted");
  testing::CheckAccounting(s);
  // The candidate was trained by a batch job of its own.
  CHECK(journal.find("running as Slurm job") != std::string::npos);
}

TEST_CASE("a training job cancelled from outside is retried once, then the cycle aborts with Slurm's reason",
          "[slurm]") {
  SlurmClient client = SlurmTestClusterOrSkip();
  testing::TestCluster c("slurm-abort");
  // A trainer that never finishes by itself: only the cancels end it.
  const std::string manifest = SlurmCycleManifest(
      "slurm-abort", "  training:\n    backend: slurm\n    command: \"sleep 300\"\n    slurm: {trainer: command}\n");
  REQUIRE_FALSE(manifest.empty());
  { std::ofstream(c.manifest_path()) << manifest; }
  REQUIRE(c.Up().exit_code == 0);
  const std::string training = KaizenJobComment("slurm-abort", c.state_dir(), "training");
  std::string first;
  REQUIRE(testing::WaitFor([&] { return !(first = SlurmCycleLiveJob(client, training)).empty(); }, 120000));
  REQUIRE(client.Cancel(first).ok());
  std::printf("fault: scancel %s, the training job\n", first.c_str());
  std::string second;
  REQUIRE(testing::WaitFor(
      [&] { return !(second = SlurmCycleLiveJob(client, training)).empty() && second != first; }, 60000));
  REQUIRE(client.Cancel(second).ok());
  std::printf("fault: scancel %s, the training job's retry\n", second.c_str());

  json s = c.WaitSummary();
  REQUIRE(c.Down().exit_code == 0);
  CHECK(SlurmTestLiveJobs(client, training) == 0);
  CHECK(SlurmTestLiveJobs(client, KaizenJobComment("slurm-abort", c.state_dir())) == 0);
  REQUIRE(s.is_object());
  INFO(s.dump(2));
  testing::PrintAccounting("a training job cancelled twice", s);
  REQUIRE(s["cycles"].size() >= 1);
  const json& cy = s["cycles"][0];
  CHECK(cy["outcome"] == "aborted");
  CHECK_THAT(cy.value("reason", ""), Catch::Contains("Slurm job " + second + " was cancelled (not by Kaizen)"));
  CHECK(s["serving"] == cy["incumbent"]);
  testing::CheckAccounting(s);
}

}  // namespace kaizen::slurm
