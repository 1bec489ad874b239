// SlurmClient against the real test cluster (tests/slurm/CMakeLists.txt).
#include "runtime/slurm/slurm_client.h"

#include <unistd.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "runtime/base/ids.h"
#include "tests/slurm/slurm_test_cluster.h"

namespace kaizen::slurm {
namespace {

std::string SlurmClientTestDir() {
  const std::string dir = std::filesystem::temp_directory_path().string() + "/kaizen-slurm-client-" + NewId();
  std::filesystem::create_directories(dir);
  return dir;
}

std::string SlurmClientTestRead(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A job spec whose comment is this test's own, so ListByComment sees only its jobs.
BatchSpec SlurmClientTestSpec(const std::string& dir, std::vector<std::string> argv) {
  BatchSpec spec;
  spec.name = "kaizen-client-test";
  spec.argv = std::move(argv);
  spec.output_path = dir + "/job.log";
  spec.comment = "kaizen-test:" + std::filesystem::path(dir).filename().string();
  return spec;
}

}  // namespace

TEST_CASE("Ping: the test cluster answers", "[slurm]") {
  SlurmClient client = SlurmTestClusterOrSkip();
  CHECK(client.Ping().ok());
}

TEST_CASE("a job that prints and exits 3 is followed to failed with its code and output", "[slurm]") {
  SlurmClient client = SlurmTestClusterOrSkip();
  const std::string dir = SlurmClientTestDir();
  BatchSpec spec = SlurmClientTestSpec(dir, {"/bin/sh", "-c", "echo \"hello from $KAIZEN_WHO\"; exit 3"});
  spec.env = {{"KAIZEN_WHO", "it's me"}};
  spec.output_path = dir + "/out/job.log";  // its folder is made by Submit
  auto id = client.Submit(spec);
  REQUIRE(id.ok());
  JobInfo j = SlurmTestWaitForJob(client, *id, [](const JobInfo& j) { return IsFinal(j.state); });
  CHECK(j.state == JobState::kFailed);
  CHECK(j.exit_code == 3);
  CHECK(j.std_out == spec.output_path);
  CHECK(SlurmClientTestRead(spec.output_path) == "hello from it's me\n");
  std::filesystem::remove_all(dir);
}

TEST_CASE("a running job is cancelled and found by its comment", "[slurm]") {
  SlurmClient client = SlurmTestClusterOrSkip();
  const std::string dir = SlurmClientTestDir();
  BatchSpec spec = SlurmClientTestSpec(dir, {"/bin/sleep", "300"});
  auto id = client.Submit(spec);
  REQUIRE(id.ok());
  JobInfo running = SlurmTestWaitForJob(client, *id, [](const JobInfo& j) { return j.state != JobState::kPending; });
  CHECK(running.state == JobState::kRunning);
  CHECK_FALSE(running.nodes.empty());
  auto listed = client.ListByComment(spec.comment);
  REQUIRE(listed.ok());
  REQUIRE(listed->size() == 1);
  CHECK((*listed)[0].id == *id);
  REQUIRE(client.Cancel(*id).ok());
  JobInfo j = SlurmTestWaitForJob(client, *id, [](const JobInfo& j) { return IsFinal(j.state); });
  CHECK(j.state == JobState::kCancelled);
  // Cancelling it again, or a job Slurm never had, is what the caller wanted.
  CHECK(client.Cancel(*id).ok());
  CHECK(client.Cancel("999999").ok());
  CHECK(client.Query("999999").status().code() == Status::Code::kNotFound);
  CHECK(SlurmTestLiveJobs(client, spec.comment) == 0);
  std::filesystem::remove_all(dir);
}

TEST_CASE("a job held until later shows why it is pending and is cancelled", "[slurm]") {
  SlurmClient client = SlurmTestClusterOrSkip();
  const std::string dir = SlurmClientTestDir();
  BatchSpec spec = SlurmClientTestSpec(dir, {"/bin/true"});
  spec.extra_args = {"--begin=now+1hour"};
  auto id = client.Submit(spec);
  REQUIRE(id.ok());
  JobInfo j = SlurmTestWaitForJob(client, *id, [](const JobInfo& j) { return j.reason == "BeginTime"; }, 20000);
  CHECK(j.state == JobState::kPending);
  CHECK(j.reason == "BeginTime");
  REQUIRE(client.Cancel(*id).ok());
  JobInfo after = SlurmTestWaitForJob(client, *id, [](const JobInfo& j) { return IsFinal(j.state); });
  CHECK(after.state == JobState::kCancelled);
  CHECK(SlurmTestLiveJobs(client, spec.comment) == 0);
  std::filesystem::remove_all(dir);
}

TEST_CASE("an unknown partition is InvalidArgument quoting Slurm", "[slurm]") {
  SlurmClient client = SlurmTestClusterOrSkip();
  const std::string dir = SlurmClientTestDir();
  BatchSpec spec = SlurmClientTestSpec(dir, {"/bin/true"});
  spec.partition = "kaizen-no-such-partition";
  auto id = client.Submit(spec);
  REQUIRE_FALSE(id.ok());
  CHECK(id.status().code() == Status::Code::kInvalidArgument);
  CHECK_THAT(id.status().message(), Catch::Contains("sbatch") && Catch::Contains("invalid partition"));
  CHECK(SlurmTestLiveJobs(client, spec.comment) == 0);
  std::filesystem::remove_all(dir);
}

}  // namespace kaizen::slurm
