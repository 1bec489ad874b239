// TestCluster: a real cluster of real processes for integration tests. Runs the
// built `kaizen` binary against a manifest in a fresh temporary state dir and
// stops it (and only the processes it started) when the test ends.
#pragma once

#include <sys/types.h>

#include <functional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace kaizen::testing {

struct CommandResult {
  int exit_code = -1;
  std::string out;   // stdout
};

// Runs `[PREFIX]kaizen ARGS` and captures stdout (stderr goes to the test
// log). A prefix such as "ip netns exec NS " runs it on another "host".
CommandResult Kaizen(const std::string& args, const std::string& prefix = "");

// Polls `pred` every 50 ms until true or `timeout_ms` passes.
bool WaitFor(const std::function<bool()>& pred, int timeout_ms);
// The whole file, bytes as they are; "" when it cannot be read.
std::string ReadFile(const std::string& path);

bool ProcessAlive(pid_t pid);

// A loopback TCP port nobody listens on right now (the kernel's pick).
int FreePort();

class TestCluster {
 public:
  // `spec_extra` is appended under `spec:` (2-space indented YAML).
  explicit TestCluster(const std::string& name, const std::string& spec_extra = "");
  ~TestCluster();

  const std::string& state_dir() const { return state_dir_; }
  const std::string& manifest_path() const { return manifest_; }
  // Every kaizen command of this cluster runs behind `prefix` (e.g. "ip netns
  // exec NS ": the runtime then lives in that network namespace).
  void set_command_prefix(const std::string& prefix) { prefix_ = prefix; }

  CommandResult Up(const std::string& extra_args = "");  // kaizen up --detach [extra_args]
  CommandResult Down();    // kaizen down
  nlohmann::json Status(); // kaizen status -o json (null on failure)
  // All agents (at least the seven roles) report `state` (e.g. "idle").
  bool WaitAllInState(const std::string& state, int timeout_ms);
  nlohmann::json Agent(const std::string& id);  // from a fresh Status()
  // The run's summary.json once the scenario is over (polling status meanwhile,
  // so a stuck run shows in the logs); null if it does not come in time.
  nlohmann::json WaitSummary(int timeout_ms = 240000);
  pid_t RuntimePid() const;
  // The killed runtime is gone for good: its process is dead and the state
  // dir's lock is free. The lock outlives the main thread by a moment (the
  // last of its threads closes it), and `kaizen up` refuses until then.
  bool RuntimeGone(pid_t runtime) const;
  // Every pid this cluster's status ever showed (runtime and agents).
  const std::set<pid_t>& seen_pids() const { return seen_; }

 private:
  std::string dir_, state_dir_, manifest_, prefix_;
  std::set<pid_t> seen_;
};

// The manifest used by tests: the demo's data, fast heartbeats.
std::string TestManifest(const std::string& name, const std::string& spec_extra);

// One JSON value per line of `text` (a command's `--json` / `export` output).
std::vector<nlohmann::json> JsonLines(const std::string& text);

// A shipped manifest (`relative_path` under the source tree) with every
// occurrence of each `from` replaced by its `to`, in order. *missing gets the
// first `from` the file no longer has ("" when all were found): a test must
// fail then, or it would quietly run another scenario.
std::string EditedManifest(const std::string& relative_path,
                           const std::vector<std::pair<std::string, std::string>>& edits, std::string* missing);

// The reduced intent-router scenario (about 20 s): a worker on 5 domains,
// drift at task 1500, a teacher with `teacher_noise` (1.0 = answers at random).
std::string ScenarioManifest(const std::string& name, double teacher_noise, int rate_per_s = 300,
                             int total_tasks = 5000, int drift_at_task = 1500);

}  // namespace kaizen::testing
