// SlurmClient against a fake command runner: what it runs and how it reads
// Slurm's answers (lines as Slurm 22.05 prints them).
#include "runtime/slurm/slurm_client.h"

#include <catch2/catch.hpp>

#include <deque>
#include <filesystem>

namespace kaizen::slurm {
namespace {

// Answers each command with the next scripted output; records what ran.
struct SlurmFakeRunner {
  struct Call {
    std::vector<std::string> argv;
    std::string input;
  };
  std::vector<Call> calls;
  std::deque<Result<CommandOutput>> answers;

  void Answer(int code, std::string out, std::string err = "") {
    answers.push_back(CommandOutput{code, std::move(out), std::move(err)});
  }
  CommandRunner Runner() {
    return [this](const std::vector<std::string>& argv, const std::string& input, int64_t) -> Result<CommandOutput> {
      calls.push_back({argv, input});
      if (answers.empty()) return CommandOutput{0, "", ""};
      auto a = answers.front();
      answers.pop_front();
      return a;
    };
  }
};

const char* const kSlurmPendingLine =
    "JobId=42 JobName=kaizen-train-c1 UserId=root(0) GroupId=root(0) MCS_label=N/A Priority=4294901759 Nice=0 "
    "Account=(null) QOS=(null) JobState=PENDING Reason=Resources Dependency=(null) Requeue=1 Restarts=0 BatchFlag=1 "
    "Reboot=0 ExitCode=0:0 RunTime=00:00:00 TimeLimit=UNLIMITED TimeMin=N/A SubmitTime=2026-12-05T09:07:01 "
    "Partition=debug AllocNode:Sid=localhost:8208 ReqNodeList=(null) ExcNodeList=(null) NodeList=(null) "
    "NumNodes=1 NumCPUs=1 CPUs/Task=1 ReqB:S:C:T=0:0:*:* TRES=cpu=1,node=1,billing=1 Comment=kaizen:demo "
    "WorkDir=/tmp StdErr=/tmp/log.txt StdIn=/dev/null StdOut=/tmp/log.txt Power= ";

std::string SlurmLine(const std::string& state, const std::string& extra) {
  return "JobId=42 JobName=kaizen-train-c1 UserId=root(0) JobState=" + state +
         " Requeue=1 Restarts=0 BatchFlag=1 " + extra + " Partition=debug StdOut=/tmp/log.txt Power=";
}

}  // namespace

TEST_CASE("scontrol line: a pending job and its reason", "[slurm]") {
  auto j = ParseScontrolJob(kSlurmPendingLine);
  REQUIRE(j.ok());
  CHECK(j->id == "42");
  CHECK(j->name == "kaizen-train-c1");
  CHECK(j->state == JobState::kPending);
  CHECK(j->reason == "Resources");
  CHECK(j->nodes.empty());
  CHECK(j->std_out == "/tmp/log.txt");
  CHECK(j->comment == "kaizen:demo");
  CHECK_FALSE(IsFinal(j->state));
}

TEST_CASE("scontrol line: running, completed, failed, cancelled, and the other ends", "[slurm]") {
  auto running = ParseScontrolJob(SlurmLine("RUNNING", "Reason=None ExitCode=0:0 NodeList=node1"));
  REQUIRE(running.ok());
  CHECK(running->state == JobState::kRunning);
  CHECK(running->nodes == "node1");

  auto completed = ParseScontrolJob(SlurmLine("COMPLETED", "Reason=None ExitCode=0:0 NodeList=node1"));
  REQUIRE(completed.ok());
  CHECK(completed->state == JobState::kCompleted);
  CHECK(IsFinal(completed->state));

  auto failed = ParseScontrolJob(SlurmLine("FAILED", "Reason=NonZeroExitCode ExitCode=3:0 NodeList=node1"));
  REQUIRE(failed.ok());
  CHECK(failed->state == JobState::kFailed);
  CHECK(failed->exit_code == 3);
  CHECK(failed->exit_signal == 0);
  CHECK(failed->reason == "NonZeroExitCode");

  auto cancelled = ParseScontrolJob(SlurmLine("CANCELLED by 0", "Reason=None ExitCode=0:15 Restarts=2"));
  REQUIRE(cancelled.ok());
  CHECK(cancelled->state == JobState::kCancelled);
  CHECK(cancelled->exit_signal == 15);
  CHECK(cancelled->restarts == 2);

  CHECK(ParseScontrolJob(SlurmLine("TIMEOUT", "Reason=TimeLimit ExitCode=0:15"))->state == JobState::kTimeout);
  CHECK(ParseScontrolJob(SlurmLine("PREEMPTED", "Reason=None"))->state == JobState::kPreempted);
  CHECK(ParseScontrolJob(SlurmLine("NODE_FAIL", "Reason=NodeDown"))->state == JobState::kNodeFail);
  CHECK(ParseScontrolJob(SlurmLine("OUT_OF_MEMORY", "Reason=OutOfMemory ExitCode=0:125"))->state ==
        JobState::kOutOfMemory);
  for (auto s : {JobState::kTimeout, JobState::kPreempted, JobState::kNodeFail, JobState::kOutOfMemory,
                 JobState::kCancelled, JobState::kFailed}) {
    CHECK(IsFinal(s));
  }
  CHECK_FALSE(IsFinal(JobState::kRequeued));
  CHECK(std::string(JobStateName(JobState::kNodeFail)) == "node_fail");
  CHECK(ParseJobState("cancelled+") == JobState::kCancelled);
  CHECK(ParseJobState("SOMETHING_NEW") == JobState::kUnknown);
}

TEST_CASE("scontrol line: values with spaces, and a line that is not one", "[slurm]") {
  auto j = ParseScontrolJob("JobId=7 JobName=x JobState=RUNNING Comment=two words here WorkDir=/a b StdOut=/a b/o.txt");
  REQUIRE(j.ok());
  CHECK(j->comment == "two words here");
  CHECK(j->std_out == "/a b/o.txt");
  auto bad = ParseScontrolJob("No jobs in the system");
  CHECK_FALSE(bad.ok());
}

TEST_CASE("BatchScript quotes every word for /bin/sh and execs the command", "[slurm]") {
  BatchSpec spec;
  spec.name = "job";
  spec.argv = {"/usr/bin/printf", "%s\\n", "it's", "$HOME `x` \"q\"", ""};
  spec.env = {{"KAIZEN_X", "a'b c"}};
  const std::string s = BatchScript(spec);
  CHECK(s.rfind("#!/bin/sh\n", 0) == 0);
  CHECK(s.find("export KAIZEN_X='a'\\''b c'\n") != std::string::npos);
  CHECK(s.find("exec '/usr/bin/printf' '%s\\n' 'it'\\''s' '$HOME `x` \"q\"' ''\n") != std::string::npos);
}

TEST_CASE("Submit passes every BatchSpec field to sbatch and reads the job id", "[slurm]") {
  SlurmFakeRunner fake;
  fake.Answer(0, "42;cluster\n");
  SlurmClient client({.command_timeout_ms = 1000, .bin_dir = "/opt/slurm/bin"}, fake.Runner());
  BatchSpec spec;
  spec.name = "kaizen-train-c1";
  spec.argv = {"/bin/echo", "hi"};
  spec.output_path = "";  // no folder made in a unit test
  spec.work_dir = "/work";
  spec.partition = "gpu";
  spec.account = "acct";
  spec.time_limit = "30";
  spec.cpus = 4;
  spec.mem = "4G";
  spec.gres = "gpu:1";
  spec.comment = "kaizen:demo";
  spec.requeue = true;
  spec.extra_args = {"--qos=high", "--no-kill"};
  auto id = client.Submit(spec);
  REQUIRE(id.ok());
  CHECK(*id == "42");
  REQUIRE(fake.calls.size() == 1);
  const std::vector<std::string> want = {"/opt/slurm/bin/sbatch", "--parsable", "--job-name=kaizen-train-c1",
                                         "--chdir=/work", "--partition=gpu", "--account=acct", "--time=30",
                                         "--cpus-per-task=4", "--mem=4G", "--gres=gpu:1", "--comment=kaizen:demo",
                                         "--requeue", "--qos=high", "--no-kill"};
  CHECK(fake.calls[0].argv == want);
  CHECK(fake.calls[0].input == BatchScript(spec));
}

TEST_CASE("Submit leaves Slurm's defaults alone and passes --output", "[slurm]") {
  SlurmFakeRunner fake;
  fake.Answer(0, "7\n");
  SlurmClient client({}, fake.Runner());
  BatchSpec spec;
  spec.argv = {"/bin/true"};
  spec.output_path = "/tmp/kaizen-slurm-client-test-out/job.log";
  REQUIRE(client.Submit(spec).ok());
  const std::vector<std::string> want = {"sbatch", "--parsable", "--output=/tmp/kaizen-slurm-client-test-out/job.log"};
  CHECK(fake.calls[0].argv == want);
  // Submit made the output's folder, as Slurm needs it there.
  CHECK(std::filesystem::is_directory("/tmp/kaizen-slurm-client-test-out"));
  std::filesystem::remove_all("/tmp/kaizen-slurm-client-test-out");
  BatchSpec bad = spec;
  bad.env = {{"1BAD", "x"}};
  CHECK(client.Submit(bad).status().code() == Status::Code::kInvalidArgument);
  CHECK(client.Submit(BatchSpec{}).status().code() == Status::Code::kInvalidArgument);
}

TEST_CASE("Slurm's refusals map to Status codes naming the command and quoting Slurm", "[slurm]") {
  SlurmFakeRunner fake;
  SlurmClient client({}, fake.Runner());
  BatchSpec spec;
  spec.argv = {"/bin/true"};

  fake.Answer(1, "", "sbatch: error: invalid partition specified: nope\nsbatch: error: Batch job submission failed: "
                     "Invalid partition name specified\n");
  auto s = client.Submit(spec);
  CHECK(s.status().code() == Status::Code::kInvalidArgument);
  CHECK_THAT(s.status().message(), Catch::Contains("sbatch failed (exit code 1)"));
  CHECK_THAT(s.status().message(), Catch::Contains("invalid partition specified: nope"));

  fake.Answer(1, "", "sbatch: error: Memory specification can not be satisfied\nsbatch: error: Batch job submission "
                     "failed: Requested node configuration is not available\n");
  CHECK(client.Submit(spec).status().code() == Status::Code::kInvalidArgument);
  fake.Answer(1, "", "sbatch: error: Invalid generic resource (gres) specification\n");
  CHECK(client.Submit(spec).status().code() == Status::Code::kInvalidArgument);

  fake.Answer(1, "", "sbatch: error: Batch job submission failed: Unable to contact slurm controller (connect failure)\n");
  CHECK(client.Submit(spec).status().code() == Status::Code::kUnavailable);
  fake.Answer(1, "", "slurm_load_jobs error: Unable to contact slurm controller (connect failure)\n");
  auto q = client.Query("42");
  CHECK(q.status().code() == Status::Code::kUnavailable);
  CHECK_THAT(q.status().message(), Catch::Contains("scontrol show job 42"));

  fake.Answer(1, "", "slurm_load_jobs error: Invalid job id specified\n");
  CHECK(client.Query("99999").status().code() == Status::Code::kNotFound);

  // The runner's own failures: a command that is not there; one that hangs.
  fake.answers.push_back(Status::IOError("sbatch: cannot run it: No such file or directory"));
  CHECK(client.Submit(spec).status().code() == Status::Code::kIOError);
  fake.answers.push_back(Status::Timeout("scontrol did not finish within 1000 ms (killed)"));
  CHECK(client.Query("42").status().code() == Status::Code::kUnavailable);

  fake.Answer(0, "not a number\n");
  CHECK(client.Submit(spec).status().code() == Status::Code::kInternal);
}

TEST_CASE("Query reads scontrol's line, ListByComment keeps exact comment matches", "[slurm]") {
  SlurmFakeRunner fake;
  SlurmClient client({}, fake.Runner());
  fake.Answer(0, std::string(kSlurmPendingLine) + "\n");
  auto j = client.Query("42");
  REQUIRE(j.ok());
  CHECK(j->reason == "Resources");
  const std::vector<std::string> want = {"scontrol", "show", "job", "-o", "42"};
  CHECK(fake.calls[0].argv == want);

  fake.Answer(0, "JobId=1 JobName=a JobState=RUNNING Comment=kaizen:demo\n"
                 "JobId=2 JobName=b JobState=COMPLETED Comment=kaizen:demo2\n"
                 "JobId=3 JobName=c JobState=PENDING Comment=(null)\n"
                 "JobId=4 JobName=d JobState=CANCELLED Comment=kaizen:demo\n");
  auto list = client.ListByComment("kaizen:demo");
  REQUIRE(list.ok());
  REQUIRE(list->size() == 2);
  CHECK((*list)[0].id == "1");
  CHECK((*list)[1].id == "4");
  fake.Answer(0, "No jobs in the system\n");
  auto none = client.ListByComment("kaizen:demo");
  REQUIRE(none.ok());
  CHECK(none->empty());
}

TEST_CASE("Cancel of an unknown or finished job is OK, other failures are not", "[slurm]") {
  SlurmFakeRunner fake;
  SlurmClient client({}, fake.Runner());
  fake.Answer(0, "");
  CHECK(client.Cancel("42").ok());
  const std::vector<std::string> plain = {"scancel", "42"};
  CHECK(fake.calls[0].argv == plain);
  fake.Answer(1, "", "scancel: error: Kill job error on job id 99999: Invalid job id specified\n");
  CHECK(client.Cancel("99999").ok());
  fake.Answer(1, "", "scancel: error: Kill job error on job id 42: Job/step already completing or completed\n");
  CHECK(client.Cancel("42").ok());
  fake.Answer(1, "", "scancel: error: Kill job error on job id 42: Unable to contact slurm controller\n");
  CHECK(client.Cancel("42").code() == Status::Code::kUnavailable);
  fake.Answer(0, "");
  CHECK(client.Cancel("42", 15).ok());
  const std::vector<std::string> signalled = {"scancel", "--signal=15", "--full", "42"};
  CHECK(fake.calls.back().argv == signalled);
}

TEST_CASE("Ping says UP or why not, Requeue runs scontrol requeue", "[slurm]") {
  SlurmFakeRunner fake;
  SlurmClient client({}, fake.Runner());
  fake.Answer(0, "Slurmctld(primary) at vm is UP\n");
  CHECK(client.Ping().ok());
  fake.Answer(1, "Slurmctld(primary) at vm is DOWN\n");
  auto down = client.Ping();
  CHECK(down.code() == Status::Code::kUnavailable);
  CHECK_THAT(down.message(), Catch::Contains("is DOWN"));
  fake.Answer(0, "");
  CHECK(client.Requeue("42").ok());
  const std::vector<std::string> want = {"scontrol", "requeue", "42"};
  CHECK(fake.calls.back().argv == want);
}

}  // namespace kaizen::slurm
