#include "bench/replica_cluster.h"

#include <chrono>
#include <fstream>
#include <thread>

#include "bench/child_process.h"
#include "bench/proc_rss.h"
#include "runtime/core/state_dir.h"

namespace kaizen::bench {
namespace {

std::string Manifest(const ReplicaClusterOptions& o) {
  std::string m = "apiVersion: kaizen.dev/v1\n"
                  "kind: Cluster\n"
                  "metadata: {name: replica-bench}\n"
                  "spec:\n"
                  "  data:\n"
                  "    clinc150: {path: " + o.data + "}\n"
                  "  worker:\n"
                  "    placement: external\n"
                  "    replicas: " + std::to_string(o.replicas) + "\n"
                  "    skill:\n"
                  "      backend: builtin-classifier\n"
                  "      train: {dataset: clinc150, split: train, domains: [banking]}\n"
                  "  monitoring: {placement: external, triggers: []}\n";
  // Never started: the runtime waits for them and routes without them.
  for (const char* role : {"planning", "datagen", "training", "evaluation", "deployment"})
    m += std::string("  ") + role + ": {placement: external}\n";
  return m;
}

}  // namespace

Result<std::unique_ptr<ReplicaCluster>> ReplicaCluster::Start(const ReplicaClusterOptions& o) {
  std::unique_ptr<ReplicaCluster> c(new ReplicaCluster());
  c->o_ = o;
  c->state_ = o.dir + "/state";
  const std::string manifest = o.dir + "/replica-bench.yaml";
  const std::string model = o.dir + "/slow-model.bin";
  {
    std::ofstream m(manifest);
    m << Manifest(o) << std::flush;
    std::ofstream f(model);
    f << "the replica benchmark's slow worker: " << o.task_cpu_ns << " ns of CPU per task\n" << std::flush;
    if (!m || !f) return Status::IOError("cannot write the manifest or the model file in " + o.dir);
  }
  if (RunChild({o.kaizen, "up", manifest, "--detach", "--state-dir", c->state_}, o.dir + "/up.out", 120) != 0)
    return Status::Unavailable("the cluster did not start (see " + o.dir + "/up.out and " + c->state_ + "/logs)");
  c->up_ = true;
  auto info = core::ReadRuntimeInfo(core::StatePaths(c->state_));
  if (!info.ok()) return info.status();
  c->runtime_ = static_cast<pid_t>(info->pid);
  c->endpoint_ = info->control_endpoint;
  for (int i = 1; i <= o.replicas; ++i) {
    const std::string id = i == 1 ? "worker" : "worker-" + std::to_string(i);
    const pid_t pid = StartChild({o.self, "--slow-worker", "--id", id, "--connect", c->endpoint_, "--model", model,
                                  "--task-ns", std::to_string(o.task_cpu_ns)},
                                 o.dir + "/" + id + ".out");
    if (pid < 0) return Status::Unavailable("cannot start the slow worker " + id + " (" + o.self + ")");
    c->ids_.push_back(id);
    c->workers_.push_back(pid);
  }
  return c;
}

ReplicaCluster::~ReplicaCluster() {
  if (up_) RunChild({o_.kaizen, "down", "--state-dir", state_}, o_.dir + "/down.out", 60);
  // Drained and gone after `kaizen down`: only reaped, unless one hangs.
  for (pid_t pid : workers_) StopChild(pid, 3000);
}

std::vector<std::pair<pid_t, std::string>> ReplicaCluster::Processes() const {
  auto p = ProcessTree(runtime_);
  for (size_t i = 0; i < workers_.size(); ++i) p.emplace_back(workers_[i], ids_[i]);
  return p;
}

Status ReplicaCluster::WaitServing(RuntimePinger& client, int timeout_ms) const {
  std::string last;
  for (int waited = 0;; waited += 100) {
    for (size_t i = 0; i < workers_.size(); ++i) {
      if (ExitedStatus(workers_[i]))
        return Status::Unavailable("slow worker " + ids_[i] + " exited (see " + o_.dir + "/" + ids_[i] + ".out)");
    }
    auto status = client.QueryStatus(2000);
    if (!status.ok()) return status.status().WithContext("the runtime's status");
    size_t serving = 0;
    last.clear();
    for (const auto& a : status->agents()) {
      if (a.role() != "worker") continue;
      const bool can = a.connected() && !a.model_version().empty() &&
                       (a.state() == v1::AGENT_STATE_IDLE || a.state() == v1::AGENT_STATE_BUSY);
      serving += can ? 1 : 0;
      last += " " + a.id() + ": " + v1::AgentState_Name(a.state()) + (a.connected() ? "" : ", not connected") +
              ", model '" + a.model_version() + "', " + a.detail() + ";";
    }
    if (serving == ids_.size()) return Status::OK();
    if (waited >= timeout_ms) {
      return Status::Timeout(std::to_string(serving) + " of " + std::to_string(ids_.size()) +
                             " replicas can serve after " + std::to_string(timeout_ms) + " ms:" + last);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace kaizen::bench
