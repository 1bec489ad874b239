// SlurmClient: submits, follows and cancels Slurm batch jobs through Slurm's
// own commands (sbatch, scontrol, squeue, scancel), for the runtime's Slurm
// launcher (agents as jobs) and the training agent's slurm backend (trainers
// as jobs). No daemon of ours: the commands are Slurm's stable interface, and
// they find the cluster the way a user's shell does (SLURM_CONF, PATH).
//
// Every call runs one command synchronously with a timeout
// (Options::command_timeout_ms) and returns a Status value: Unavailable when
// the controller cannot be reached (the caller retries later; a job is never
// taken for dead because slurmctld was slow), InvalidArgument when Slurm
// refuses the request (an unknown partition, a bad gres), NotFound when the
// job id is unknown to Slurm (finished long ago and purged).
//
// The command runner is injected so the logic is tested with fakes; the
// default runs the real commands as child processes.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "runtime/base/result.h"
#include "runtime/base/status.h"

namespace kaizen::slurm {

// Slurm's job states (scontrol's JobState), the ones a caller acts on.
enum class JobState {
  kPending, kRunning, kSuspended, kCompleting, kCompleted, kFailed, kTimeout, kPreempted,
  kCancelled, kNodeFail, kOutOfMemory, kBootFail, kDeadline, kRequeued, kUnknown
};
const char* JobStateName(JobState state);   // "pending", "running", ... lowercase
JobState ParseJobState(const std::string& slurm_name);  // "PENDING", "CANCELLED" (also "CANCELLED by 0") ...
// The job will not run again by itself (completed, failed, cancelled, ...).
bool IsFinal(JobState state);

struct JobInfo {
  std::string id;
  std::string name;
  JobState state = JobState::kUnknown;
  std::string reason;       // scontrol's Reason ("Resources", "Priority", "None")
  int exit_code = 0;        // ExitCode=A:B -> A
  int exit_signal = 0;      //              -> B
  std::string nodes;        // NodeList ("" while pending)
  int restarts = 0;         // Restarts= (requeues)
  std::string std_out;      // StdOut path
  std::string comment;      // Comment ("" when none)
};

// What to run and with what. Empty strings and zeros mean "Slurm's default".
struct BatchSpec {
  std::string name;                      // --job-name
  std::vector<std::string> argv;         // the command; argv[0] an absolute path. Quoted safely into the script.
  std::map<std::string, std::string> env;  // exported to the job besides the submitter's environment
  std::string output_path;               // --output (stdout and stderr); its folder is made
  std::string work_dir;                  // --chdir
  std::string partition, account;        // --partition, --account
  std::string time_limit;                // --time, e.g. "30", "1:00:00"
  int cpus = 0;                          // --cpus-per-task
  std::string mem;                       // --mem, e.g. "512M"
  std::string gres;                      // --gres, e.g. "gpu:1"
  std::string comment;                   // --comment: e.g. "kaizen:<cluster>", to find a cluster's jobs
  bool requeue = false;                  // --requeue (a preempted job goes back to the queue)
  std::vector<std::string> extra_args;   // more sbatch options, passed as they are
};

// Runs argv (argv[0] looked up in PATH) with stdin from `input`; returns
// exit code and captured stdout/stderr, or IOError if it could not start or
// Timeout if it ran past timeout_ms (then it is killed).
struct CommandOutput {
  int exit_code = 0;
  std::string out, err;
};
using CommandRunner =
    std::function<Result<CommandOutput>(const std::vector<std::string>& argv, const std::string& input,
                                        int64_t timeout_ms)>;
// The real runner: a child process per call.
CommandRunner SystemCommandRunner();

class SlurmClient {
 public:
  struct Options {
    int64_t command_timeout_ms = 15000;
    std::string bin_dir;  // where sbatch & co. are; "" = PATH
  };
  explicit SlurmClient(Options options, CommandRunner runner = SystemCommandRunner());

  // sbatch --parsable; returns the job id.
  Result<std::string> Submit(const BatchSpec& spec) const;
  // scontrol show job -o ID.
  Result<JobInfo> Query(const std::string& job_id) const;
  // Jobs (any state Slurm still knows) whose comment is exactly `comment`.
  Result<std::vector<JobInfo>> ListByComment(const std::string& comment) const;
  // scancel ID (a signal other than 0: scancel --signal=SIG --full). An
  // already finished or unknown job is OK: the caller wanted it gone.
  Status Cancel(const std::string& job_id, int signal = 0) const;
  // scontrol requeue ID.
  Status Requeue(const std::string& job_id) const;
  // Whether the commands are installed and the controller answers (`scontrol ping`),
  // with what was wrong when not.
  Status Ping() const;

 private:
  Result<CommandOutput> Run(const std::string& command, std::vector<std::string> args,
                            const std::string& input = "") const;
  Options options_;
  CommandRunner runner_;
};

// The comment a Kaizen cluster's jobs carry, "kaizen:<cluster>:<state_dir>"
// plus ":<part>" when given (the training agent's runs: "training"), blanks
// replaced by '_' (scontrol's one-line output splits at blanks). Exact, so
// the jobs a runtime or a training agent killed with -9 left behind are
// found and cancelled by the next one, and no other cluster's.
std::string KaizenJobComment(const std::string& cluster, const std::string& state_dir, const std::string& part = "");

// Parsers, public for tests.
Result<JobInfo> ParseScontrolJob(const std::string& one_line);  // one `scontrol show job -o` line
std::string BatchScript(const BatchSpec& spec);                  // the #!/bin/sh script sbatch reads on stdin

}  // namespace kaizen::slurm
