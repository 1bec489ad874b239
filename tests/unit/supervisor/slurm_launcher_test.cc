// SlurmLauncher against a fake Slurm (an injected slurm::CommandRunner that
// answers sbatch, `scontrol show job -o` and scancel from a table the test
// edits): the sbatch arguments, the mapping of job states to updates, Slurm
// unreachable tolerated, cancelling by comment, and a shutdown that finishes.
#include <algorithm>
#include <csignal>
#include <map>
#include <memory>

#include <catch2/catch.hpp>

#include "runtime/base/clock.h"
#include "runtime/supervisor/slurm_launcher.h"
#include "runtime/supervisor/supervisor.h"

using kaizen::MonoMs;
using kaizen::Result;
using kaizen::Status;
using kaizen::config::Placement;
using kaizen::slurm::CommandOutput;
using kaizen::slurm::SlurmClient;
using kaizen::supervisor::ChildEvent;
using kaizen::supervisor::ChildSpec;
using kaizen::supervisor::Launchers;
using kaizen::supervisor::LaunchUpdate;
using kaizen::supervisor::SlurmLauncher;
using kaizen::supervisor::Supervisor;

namespace kaizen_slurm_fake {

constexpr const char* kSlurmComment = "kaizen:c1:/state";

// A job as the fake controller knows it.
struct FakeSlurmJob {
  std::string name, state = "PENDING", reason = "None", nodes = "(null)", exit = "0:0";
  std::string comment = kSlurmComment;
};

struct FakeSlurm {
  std::vector<std::vector<std::string>> calls;
  std::string last_script;
  std::map<std::string, FakeSlurmJob> jobs;  // by id; std::map: ids 100.. sort as numbers while 3 digits
  int next_id = 100;
  bool down = false;                         // the controller does not answer
  bool cancel_ends_jobs = true;              // scancel makes a job CANCELLED at once

  std::string Line(const std::string& id, const FakeSlurmJob& j) const {
    // The fields the client reads, in scontrol's order, with some it skips.
    return "JobId=" + id + " JobName=" + j.name + " UserId=root(0) GroupId=root(0) Priority=1 JobState=" + j.state +
           " Reason=" + j.reason + " Dependency=(null) Requeue=0 Restarts=0 ExitCode=" + j.exit +
           " NodeList=" + j.nodes + " Comment=" + j.comment + " StdOut=/state/logs/x.log";
  }
  Result<CommandOutput> Run(const std::vector<std::string>& argv, const std::string& input) {
    calls.push_back(argv);
    CommandOutput out;
    if (down) {
      out.exit_code = 1;
      out.err = argv[0] + ": error: Unable to contact slurm controller (connect failure)\n";
      return out;
    }
    if (argv[0] == "sbatch") {
      last_script = input;
      const std::string id = std::to_string(next_id++);
      FakeSlurmJob j;
      for (const auto& a : argv) {
        if (a.rfind("--job-name=", 0) == 0) j.name = a.substr(11);
        if (a.rfind("--comment=", 0) == 0) j.comment = a.substr(10);
      }
      jobs[id] = j;
      out.out = id + "\n";
    } else if (argv[0] == "scontrol") {
      for (const auto& [id, j] : jobs) out.out += Line(id, j) + "\n";
      if (jobs.empty()) out.out = "No jobs in the system\n";
    } else if (argv[0] == "scancel") {
      auto it = jobs.find(argv.back());
      if (it != jobs.end() && cancel_ends_jobs) it->second.state = "CANCELLED";
    }
    return out;
  }
  // The scancel calls, each as "scancel ARGS".
  std::vector<std::string> Cancels() const {
    std::vector<std::string> c;
    for (const auto& argv : calls) {
      if (argv[0] != "scancel") continue;
      std::string s = "scancel";
      for (size_t i = 1; i < argv.size(); ++i) s += " " + argv[i];
      c.push_back(s);
    }
    return c;
  }
  int Count(const std::string& command) const {
    return static_cast<int>(std::count_if(calls.begin(), calls.end(), [&](const auto& a) { return a[0] == command; }));
  }
};

SlurmLauncher::Options FakeSlurmOptions() {
  SlurmLauncher::Options o;
  o.cluster = "c1";
  o.state_dir = "/state";
  o.work_dir = "/work";
  o.slurm.poll_interval_ms = 1000;
  o.cancel_wait_ms = 300;
  return o;
}

std::unique_ptr<SlurmLauncher> MakeFakeSlurmLauncher(const std::shared_ptr<FakeSlurm>& fake,
                                                     SlurmLauncher::Options o = FakeSlurmOptions()) {
  SlurmClient client({}, [fake](const std::vector<std::string>& argv, const std::string& input, int64_t) {
    return fake->Run(argv, input);
  });
  return std::make_unique<SlurmLauncher>(std::move(o), std::move(client));
}

ChildSpec SlurmChild(const std::string& id) {
  ChildSpec s;
  s.id = id;
  s.role = "worker";
  s.argv = {"/opt/kaizen/bin/kaizen", "agent", "--role", "worker", "--id", id, "--connect", "ipc:///state/ctl"};
  s.log_path = "/tmp/kaizen-slurm-launcher-test/logs/" + id + ".log";
  s.placement = Placement::kSlurm;
  s.resources.cpus = 2;
  s.resources.mem = "512M";
  s.resources.gres = "gpu:1";
  s.restart.backoff_initial_ms = 100;
  return s;
}

bool HasArg(const std::vector<std::string>& argv, const std::string& a) {
  return std::find(argv.begin(), argv.end(), a) != argv.end();
}

}  // namespace kaizen_slurm_fake

using namespace kaizen_slurm_fake;
using UKind = LaunchUpdate::Kind;

TEST_CASE("slurm launcher submits the agent's command line with the manifest's job settings", "[slurm_launcher]") {
  auto fake = std::make_shared<FakeSlurm>();
  SlurmLauncher::Options o = FakeSlurmOptions();
  o.slurm.partition = "agents";
  o.slurm.account = "ml";
  o.slurm.time_limit = "1:00:00";
  o.slurm.extra_args = {"--qos=high"};
  auto launcher = MakeFakeSlurmLauncher(fake, o);
  CHECK(launcher->comment() == kSlurmComment);

  auto l = launcher->Launch(SlurmChild("worker"));
  REQUIRE(l.ok());
  CHECK_FALSE(l->running);
  CHECK(l->pid == 0);
  CHECK(l->job_id == "100");
  CHECK(l->detail == "Slurm job 100 submitted");
  REQUIRE(fake->calls.size() == 1);
  const auto& argv = fake->calls[0];
  CHECK(argv[0] == "sbatch");
  for (const char* a : {"--parsable", "--job-name=kaizen-c1-worker",
                        "--output=/tmp/kaizen-slurm-launcher-test/logs/worker.log", "--chdir=/work",
                        "--partition=agents", "--account=ml", "--time=1:00:00", "--cpus-per-task=2", "--mem=512M",
                        "--gres=gpu:1", "--comment=kaizen:c1:/state", "--no-requeue", "--open-mode=append",
                        "--qos=high"}) {
    CHECK(HasArg(argv, a));
  }
  CHECK_FALSE(HasArg(argv, "--requeue"));
  CHECK(fake->last_script.find("exec '/opt/kaizen/bin/kaizen' 'agent' '--role' 'worker' '--id' 'worker' '--connect' "
                               "'ipc:///state/ctl'\n") != std::string::npos);
}

TEST_CASE("slurm launcher comment names the cluster and state dir, without blanks", "[slurm_launcher]") {
  CHECK(slurm::KaizenJobComment("demo", "/tmp/my state") == "kaizen:demo:/tmp/my_state");
}

TEST_CASE("slurm launcher maps job states to queued, running and ended, one scontrol call per poll interval",
          "[slurm_launcher]") {
  auto fake = std::make_shared<FakeSlurm>();
  auto launcher = MakeFakeSlurmLauncher(fake);
  REQUIRE(launcher->Launch(SlurmChild("a")).ok());  // job 100
  REQUIRE(launcher->Launch(SlurmChild("b")).ok());  // job 101
  int64_t t = MonoMs();
  CHECK(launcher->MsUntilPoll(t) == 0);  // looks soon after a submit

  fake->jobs["100"].reason = "Resources";
  auto u = launcher->Poll(t);
  CHECK(fake->Count("scontrol") == 1);
  REQUIRE(u.size() == 2);
  CHECK(u[0].kind == UKind::kQueued);
  CHECK(u[0].id == "a");
  CHECK(u[0].detail == "Slurm job 100 pending (reason: Resources)");
  CHECK(u[1].detail == "Slurm job 101 pending (reason: None)");

  CHECK(launcher->Poll(t + 999).empty());  // within the interval: no command
  CHECK(fake->Count("scontrol") == 1);
  CHECK(launcher->Poll(t + 1000).empty());  // nothing changed: nothing reported
  CHECK(fake->Count("scontrol") == 2);

  fake->jobs["100"].state = "RUNNING";
  fake->jobs["100"].nodes = "node1";
  u = launcher->Poll(t + 2000);
  REQUIRE(u.size() == 1);
  CHECK(u[0].kind == UKind::kRunning);
  CHECK(u[0].job_id == "100");
  CHECK(u[0].node == "node1");
  CHECK(u[0].pid == 0);
  CHECK(u[0].detail == "Slurm job 100 running on node1");
  CHECK(launcher->Poll(t + 3000).empty());  // still running

  fake->jobs["100"].state = "COMPLETED";
  fake->jobs["101"].state = "FAILED";
  fake->jobs["101"].exit = "3:0";
  u = launcher->Poll(t + 4000);
  REQUIRE(u.size() == 2);
  CHECK(u[0].kind == UKind::kEnded);
  CHECK(u[0].detail == "Slurm job 100 exited with code 0");
  CHECK(u[0].clean);
  CHECK(u[1].detail == "Slurm job 101 failed: exited with code 3");
  CHECK_FALSE(u[1].clean);
  CHECK(launcher->MsUntilPoll(t) == -1);  // nothing left to follow
  CHECK(launcher->Poll(t + 9000).empty());
  CHECK(fake->Count("scontrol") == 5);
}

TEST_CASE("slurm launcher describes every way a job ends", "[slurm_launcher]") {
  using kaizen::slurm::JobInfo;
  using kaizen::slurm::JobState;
  auto describe = [](JobState s, int code = 0, int sig = 0, const std::string& nodes = "") {
    JobInfo j;
    j.id = "42";
    j.state = s;
    j.exit_code = code;
    j.exit_signal = sig;
    j.nodes = nodes;
    bool clean = true;
    std::string d = kaizen::supervisor::DescribeJobEnd(j, &clean);
    return d + (clean ? " [clean]" : "");
  };
  CHECK(describe(JobState::kCompleted) == "Slurm job 42 exited with code 0 [clean]");
  CHECK(describe(JobState::kFailed, 0, 9) == "Slurm job 42 failed: killed by signal 9 (SIGKILL)");
  CHECK(describe(JobState::kCancelled) == "Slurm job 42 was cancelled");
  CHECK(describe(JobState::kTimeout) == "Slurm job 42 ended at its time limit");
  CHECK(describe(JobState::kPreempted) == "Slurm job 42 was preempted");
  CHECK(describe(JobState::kNodeFail, 0, 0, "n3") == "Slurm job 42 ended: its node failed (n3)");
  CHECK(describe(JobState::kOutOfMemory) == "Slurm job 42 ran out of memory");
}

TEST_CASE("slurm launcher: a job Slurm no longer knows has ended, one cancelled by someone is reported so",
          "[slurm_launcher]") {
  auto fake = std::make_shared<FakeSlurm>();
  auto launcher = MakeFakeSlurmLauncher(fake);
  REQUIRE(launcher->Launch(SlurmChild("a")).ok());
  REQUIRE(launcher->Launch(SlurmChild("b")).ok());
  fake->jobs.erase("100");
  fake->jobs["101"].state = "CANCELLED by 0";
  auto u = launcher->Poll(MonoMs());
  REQUIRE(u.size() == 2);
  CHECK(u[0].detail == "Slurm job 100 is no longer known to Slurm");
  CHECK(u[1].detail == "Slurm job 101 was cancelled");
}

TEST_CASE("slurm launcher: Slurm unreachable is never an end, the next poll goes on", "[slurm_launcher]") {
  auto fake = std::make_shared<FakeSlurm>();
  auto launcher = MakeFakeSlurmLauncher(fake);
  REQUIRE(launcher->Launch(SlurmChild("a")).ok());
  fake->jobs["100"].state = "RUNNING";
  fake->jobs["100"].nodes = "n1";
  const int64_t t = MonoMs();
  REQUIRE(launcher->Poll(t).size() == 1);
  fake->down = true;
  for (int i = 1; i <= 5; ++i) CHECK(launcher->Poll(t + i * 1000).empty());
  CHECK(fake->Count("scontrol") == 6);
  fake->down = false;
  fake->jobs["100"].state = "PREEMPTED";
  auto u = launcher->Poll(t + 6000);
  REQUIRE(u.size() == 1);
  CHECK(u[0].detail == "Slurm job 100 was preempted");
}

TEST_CASE("slurm launcher cancels the jobs an earlier runtime left, found by comment", "[slurm_launcher]") {
  auto fake = std::make_shared<FakeSlurm>();
  fake->jobs["7"] = {"kaizen-c1-worker", "RUNNING", "None", "n1"};
  fake->jobs["8"] = {"kaizen-c1-planning", "PENDING", "Priority"};
  fake->jobs["9"] = {"kaizen-c1-old", "COMPLETED"};           // ended: left alone
  fake->jobs["10"] = {"someone-else", "RUNNING", "None", "n1", "0:0", "theirs"};  // not ours
  auto launcher = MakeFakeSlurmLauncher(fake);
  auto cancelled = launcher->CancelLeftovers();
  REQUIRE(cancelled.ok());
  REQUIRE(cancelled->size() == 2);
  std::vector<std::string> ids = {(*cancelled)[0].id, (*cancelled)[1].id};
  std::sort(ids.begin(), ids.end());
  CHECK(ids == std::vector<std::string>{"7", "8"});
  CHECK(fake->Cancels() == std::vector<std::string>{"scancel 7", "scancel 8"});
  CHECK(fake->jobs["10"].state == "RUNNING");

  fake->down = true;
  auto failed = launcher->CancelLeftovers();
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.status().code() == Status::Code::kUnavailable);
}

TEST_CASE("slurm launcher cancels a job with its comment that it does not follow", "[slurm_launcher]") {
  auto fake = std::make_shared<FakeSlurm>();
  auto launcher = MakeFakeSlurmLauncher(fake);
  REQUIRE(launcher->Launch(SlurmChild("a")).ok());         // job 100
  fake->jobs["55"] = {"kaizen-c1-a", "PENDING"};          // e.g. an sbatch that timed out
  fake->jobs["56"] = {"other", "PENDING", "None", "(null)", "0:0", "elsewhere"};
  launcher->Poll(MonoMs());
  CHECK(fake->Cancels() == std::vector<std::string>{"scancel 55"});
}

TEST_CASE("slurm launcher signals: SIGTERM drains a running job, cancels a pending one, SIGKILL cancels",
          "[slurm_launcher]") {
  auto fake = std::make_shared<FakeSlurm>();
  fake->cancel_ends_jobs = false;
  auto launcher = MakeFakeSlurmLauncher(fake);
  REQUIRE(launcher->Launch(SlurmChild("run")).ok());   // 100
  REQUIRE(launcher->Launch(SlurmChild("wait")).ok());  // 101
  fake->jobs["100"].state = "RUNNING";
  const int64_t t = MonoMs();
  launcher->Poll(t);
  launcher->StopAll(SIGTERM);
  CHECK(fake->Cancels() == std::vector<std::string>{"scancel --signal=15 --full 100", "scancel 101"});
  launcher->Signal("run", SIGKILL);
  CHECK(fake->Cancels().back() == "scancel 100");
  launcher->Signal("nobody", SIGKILL);
  CHECK(fake->Cancels().size() == 3);
}

TEST_CASE("slurm launcher: after StopAll(SIGKILL) a job not seen ending in time is given up on and cancelled again",
          "[slurm_launcher]") {
  auto fake = std::make_shared<FakeSlurm>();
  fake->cancel_ends_jobs = false;  // a job that outlives scancel (a node gone silent)
  auto launcher = MakeFakeSlurmLauncher(fake);
  REQUIRE(launcher->Launch(SlurmChild("a")).ok());
  fake->jobs["100"].state = "RUNNING";
  launcher->Poll(MonoMs());
  launcher->StopAll(SIGKILL);
  CHECK(fake->Cancels() == std::vector<std::string>{"scancel 100"});
  const int64_t t = MonoMs();
  CHECK(launcher->Poll(t).empty());  // within cancel_wait_ms (300)
  auto u = launcher->Poll(t + 10000);
  REQUIRE(u.size() == 1);
  CHECK(u[0].kind == UKind::kEnded);
  CHECK(u[0].detail == "Slurm job 100 not seen ending within 300 ms of scancel; left to Slurm");
  CHECK_FALSE(u[0].clean);
  launcher.reset();
  CHECK(fake->Cancels() == std::vector<std::string>{"scancel 100", "scancel 100"});
}

TEST_CASE("slurm launcher destructor cancels every job still followed", "[slurm_launcher]") {
  auto fake = std::make_shared<FakeSlurm>();
  auto launcher = MakeFakeSlurmLauncher(fake);
  REQUIRE(launcher->Launch(SlurmChild("a")).ok());
  REQUIRE(launcher->Launch(SlurmChild("b")).ok());
  launcher.reset();
  CHECK(fake->Cancels() == std::vector<std::string>{"scancel 100", "scancel 101"});
}

TEST_CASE("supervisor with the slurm launcher resubmits a job cancelled from outside", "[slurm_launcher][supervisor]") {
  auto fake = std::make_shared<FakeSlurm>();
  std::vector<ChildEvent> events;
  Launchers l;
  l[Placement::kSlurm] = MakeFakeSlurmLauncher(fake);
  Supervisor sup([&](const ChildEvent& e) { events.push_back(e); }, std::move(l));
  REQUIRE(sup.Start(SlurmChild("w")).ok());
  int64_t t = MonoMs();
  fake->jobs["100"].state = "RUNNING";
  fake->jobs["100"].nodes = "n1";
  sup.Tick(t);
  REQUIRE(events.back().kind == ChildEvent::Kind::kStarted);
  CHECK(events.back().node == "n1");
  fake->jobs["100"].state = "CANCELLED by 0";
  sup.Tick(t + 1000);
  CHECK(events.back().kind == ChildEvent::Kind::kRestartScheduled);
  sup.Tick(t + 1100);  // the backoff (100 ms) has passed
  REQUIRE(events.back().kind == ChildEvent::Kind::kQueued);
  CHECK(events.back().job_id == "101");
  CHECK(fake->jobs.count("101") == 1);
}
