// A cluster whose agents are Slurm jobs (spec.runtime.launcher: slurm), on the
// test Slurm cluster (tests/slurm/CMakeLists.txt): every agent runs as a job
// and registers, `kaizen status -o json` shows each one's job id and node, a
// job cancelled from outside is submitted again (a new job id) and its agent
// registers again, the jobs of a runtime killed with -9 are cancelled by the
// next one, and after `kaizen down` Slurm has no job of the cluster left
// queued or running. Every wait is on state, never a fixed sleep.
#include <signal.h>

#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <set>

#include "tests/integration/cluster_harness.h"
#include "tests/slurm/slurm_test_cluster.h"

namespace kaizen::slurm {
namespace {

// The manifest tests use, with every agent placed on Slurm and a quick poll.
std::string SlurmAgentsManifest(const std::string& name) {
  std::string m = testing::TestManifest(name, "  slurm:\n    poll_interval_ms: 200\n");
  const std::string runtime = "  runtime:\n";
  const auto at = m.find(runtime);
  if (at == std::string::npos) return "";
  m.insert(at + runtime.size(), "    launcher: slurm\n");
  return m;
}

// Cancels what a failed test left in Slurm under this cluster's comment.
struct SlurmAgentsTestJobs {
  const SlurmClient& client;
  std::string comment;
  ~SlurmAgentsTestJobs() {
    if (comment.empty()) return;
    auto jobs = client.ListByComment(comment);
    if (!jobs.ok()) return;
    for (const auto& j : *jobs) {
      if (IsFinal(j.state)) continue;
      if (Status s = client.Cancel(j.id); !s.ok()) {
        std::fprintf(stderr, "cannot cancel job %s: %s\n", j.id.c_str(), s.ToString().c_str());
      }
    }
  }
};

// Every agent (at least the seven roles) idle, a Slurm job with an id and a node.
bool SlurmAgentsAllRunning(const nlohmann::json& status) {
  if (status.is_null() || status["agents"].size() < 7) return false;
  for (const auto& a : status["agents"]) {
    if (a.value("state", "") != "idle" || a.value("placement", "") != "slurm" || a.value("job_id", "").empty() ||
        a.value("node", "").empty()) {
      return false;
    }
  }
  return true;
}

}  // namespace

TEST_CASE("agents run as Slurm jobs: shown in status, a cancelled job is resubmitted, none is left after down",
          "[slurm]") {
  SlurmClient client = SlurmTestClusterOrSkip();
  testing::TestCluster cluster("slurm-agents");
  const std::string manifest = SlurmAgentsManifest("slurm-agents");
  REQUIRE_FALSE(manifest.empty());
  { std::ofstream(cluster.manifest_path()) << manifest; }
  SlurmAgentsTestJobs leftovers{client, ""};

  REQUIRE(cluster.Up().exit_code == 0);
  nlohmann::json status;
  const bool running = testing::WaitFor(
      [&] {
        status = cluster.Status();
        return SlurmAgentsAllRunning(status);
      },
      90000);
  INFO(status.dump(2));
  REQUIRE(running);

  // Each agent its own job, all with this cluster's comment.
  std::set<std::string> jobs;
  for (const auto& a : status["agents"]) jobs.insert(a["job_id"].get<std::string>());
  CHECK(jobs.size() == status["agents"].size());
  auto first = client.Query(*jobs.begin());
  REQUIRE(first.ok());
  leftovers.comment = first->comment;
  CHECK(first->comment.rfind("kaizen:slurm-agents:", 0) == 0);
  CHECK(first->name.rfind("kaizen-slurm-agents-", 0) == 0);
  CHECK(first->state == JobState::kRunning);
  for (const auto& a : status["agents"]) CHECK(a["pid"] == 0);

  // Cancelled from outside: submitted again by the restart policy, and it registers again.
  const nlohmann::json before = cluster.Agent("monitoring");
  REQUIRE_FALSE(before.is_null());
  const std::string old_job = before["job_id"].get<std::string>();
  REQUIRE(client.Cancel(old_job).ok());
  nlohmann::json after;
  const bool resubmitted = testing::WaitFor(
      [&] {
        after = cluster.Agent("monitoring");
        return !after.is_null() && after["job_id"] != old_job && after["state"] == "idle" &&
               !after["node"].get<std::string>().empty() && after["restarts"].get<int>() >= 1;
      },
      60000);
  INFO(after.dump(2));
  CHECK(resubmitted);
  const JobInfo old_info = SlurmTestWaitForJob(client, old_job, [](const JobInfo& j) { return IsFinal(j.state); });
  CHECK(old_info.state == JobState::kCancelled);

  // A runtime killed with -9 leaves its jobs running; the next one on the
  // same state dir cancels them (and journals it) before it submits its own.
  const pid_t runtime = cluster.RuntimePid();
  REQUIRE(runtime > 0);
  status = cluster.Status();
  std::set<std::string> orphans;
  for (const auto& a : status["agents"]) orphans.insert(a["job_id"].get<std::string>());
  REQUIRE(::kill(runtime, SIGKILL) == 0);
  REQUIRE(testing::WaitFor([&] { return cluster.RuntimeGone(runtime); }, 10000));
  CHECK(SlurmTestLiveJobs(client, leftovers.comment) == static_cast<int>(orphans.size()));
  REQUIRE(cluster.Up().exit_code == 0);
  for (const auto& id : orphans) {
    auto j = client.Query(id);
    REQUIRE(j.ok());
    CHECK(j->state == JobState::kCancelled);
  }
  const bool again = testing::WaitFor(
      [&] {
        status = cluster.Status();
        if (!SlurmAgentsAllRunning(status)) return false;
        for (const auto& a : status["agents"]) {
          if (orphans.count(a["job_id"].get<std::string>())) return false;
        }
        return true;
      },
      90000);
  INFO(status.dump(2));
  CHECK(again);
  const std::string journal = testing::Kaizen("logs --state-dir " + cluster.state_dir()).out;
  CHECK(journal.find("slurm_job_cancelled") != std::string::npos);
  CHECK(journal.find("Slurm job " + *orphans.begin() + " (kaizen-slurm-agents-") != std::string::npos);

  // Down: the runtime waits for its jobs to end; none is left queued or running.
  REQUIRE(cluster.Down().exit_code == 0);
  CHECK(SlurmTestLiveJobs(client, leftovers.comment) == 0);
}

}  // namespace kaizen::slurm
