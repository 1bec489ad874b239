// Shared steps of the fault-injection tests: find a process of the cluster,
// wait for a cycle stage and signal it, read the scenario's summary and
// journal, and check the accounting and the store afterwards. Each prints
// what it did so a test's output says what was killed and when.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/integration/cluster_harness.h"

namespace kaizen::testing {

// The running cycle's stage ("" when there is none).
std::string Stage(TestCluster& c);
// An agent's pid from `kaizen status` (0 when not running).
pid_t PidOf(TestCluster& c, const std::string& agent);
// Live child processes of `parent` (from /proc).
std::vector<pid_t> ChildrenOf(pid_t parent);
// Polls /proc every 2 ms for a child of `parent` (0 if none came in time):
// fast enough to catch a stage that lasts well under a second, which a
// `kaizen status` poll may miss.
pid_t WaitForChild(pid_t parent, int timeout_ms);
// CPU time (user + system, ms) a process has used so far (-1 if gone).
int64_t CpuMs(pid_t pid);
// The cycle's stage names in order, from the summary: "triggered planning ...".
std::string StagePath(const nlohmann::json& cycle);

// Waits for the cycle to reach `stage`, then sends `victim()` the signal
// (SIGKILL: a crash; SIGSTOP: a hang, which the heartbeats must catch).
void KillAt(TestCluster& c, const std::string& stage, const std::string& what, const std::function<pid_t()>& victim,
            int sig = SIGKILL);
// Sends `sig` to `pid` and prints "fault: <verb> <what> (pid N) <when>".
void Signal(pid_t pid, int sig, const std::string& what, const std::string& when);

// One line: submitted = answered, lost, duplicated, each cycle's outcome.
void PrintAccounting(const std::string& name, const nlohmann::json& summary);
// submitted = answered, lost 0, duplicated 0.
void CheckAccounting(const nlohmann::json& summary);
// PRAGMA integrity_check is ok and every artifact hashes to its name.
void CheckStore(const std::string& state_dir);

// Journal events of `kind` (optionally only those recorded for `role`, or of `cycle`).
int CountEvents(const std::string& state_dir, const std::string& kind, const std::string& role = "",
                const std::string& cycle = "");
// Cluster events (`kaizen logs`: agent_lost, agent_joined, ...) named `what`, about `agent`.
int CountClusterEvents(const std::string& state_dir, const std::string& what, const std::string& agent);
// Journal events of `kind`, counted by the agent they are about.
std::map<std::string, int> EventsByAgent(const std::string& state_dir, const std::string& kind);
// Model versions in the registry.
int CountModels(const std::string& state_dir);
// What the teacher actually answered (and was paid for) in `cycle`, every
// datagen process and attempt together: the lines of its label ledgers
// (agents/datagen/label_ledger.h), read here independently of any count the
// agents report.
int TeacherAnswers(const std::string& state_dir, const std::string& cycle);

}  // namespace kaizen::testing
