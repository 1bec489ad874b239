// Runtime: the agent table, supervision events and liveness.
#include <spdlog/spdlog.h>

#include "runtime/base/clock.h"
#include "runtime/core/runtime.h"

namespace kaizen::core {

void Runtime::PersistAgent(const AgentEntry& a) {
  store::AgentRow row;
  row.id = a.id;
  row.role = a.role;
  row.state = bus::StateName(a.state);
  row.detail = a.detail;
  row.pid = a.pid;
  row.restarts = a.restarts;
  row.model_version = a.model_version;
  row.updated_ms = WallMs();
  Status s = store_->UpsertAgent(row);
  if (!s.ok()) spdlog::error("cannot persist agent {}: {}", a.id, s.ToString());
}

void Runtime::ApplyState(AgentEntry& a, v1::AgentState to, const std::string& detail) {
  if (to == a.state && detail == a.detail) return;
  bus::Envelope e = bus::MakeEnvelope("runtime", "");
  auto* sc = e.mutable_state_change();
  sc->set_agent_id(a.id);
  sc->set_role(a.role);
  sc->set_from(a.state);
  sc->set_to(to);
  sc->set_detail(detail);
  sc->set_model_version(a.model_version);
  sc->set_pid(a.pid);
  sc->set_restarts(a.restarts);
  a.state = to;
  a.detail = detail;
  (void)journal_->Record("state_change", a.id, a.role, &e);
  PersistAgent(a);
  // Progress details ("collecting inputs 27/200", "watching v1: ...") change
  // every few seconds; in the runtime's log one per agent per 30 s is enough.
  // The journal (`kaizen logs`) keeps every one.
  const bool same_state = sc->from() == to;
  const int64_t now = MonoMs();
  const bool quiet = same_state && now - a.detail_logged_mono < kDetailLogIntervalMs;
  if (same_state && !quiet) a.detail_logged_mono = now;
  spdlog::log(quiet ? spdlog::level::debug : spdlog::level::info, "agent {} ({}) {} -> {}{}", a.id, a.role,
              bus::StateName(sc->from()), bus::StateName(to), detail.empty() ? "" : ": " + detail);
}

void Runtime::OnChildEvent(const supervisor::ChildEvent& ev) {
  auto it = agents_.find(ev.id);
  if (it == agents_.end()) return;
  AgentEntry& a = it->second;
  using Kind = supervisor::ChildEvent::Kind;
  const std::string restart = ev.restarts > 0 ? "restart " + std::to_string(ev.restarts) + ", " : std::string();
  switch (ev.kind) {
    case Kind::kQueued:
      // A job waiting for Slurm is not an agent failing to register: the
      // registration clock starts when it runs (kStarted).
      a.pid = 0;
      a.job_id = ev.job_id;
      a.node.clear();
      a.restarts = ev.restarts;
      a.connected = false;
      a.exited = false;
      a.spawned_mono = 0;
      ApplyState(a, v1::AGENT_STATE_STARTING, restart + ev.detail);
      return;
    case Kind::kStarted:
      a.pid = ev.pid;
      a.job_id = ev.job_id;
      a.node = ev.node;
      a.restarts = ev.restarts;
      a.spawned_mono = MonoMs();
      // A job's agent may say Hello before the next poll sees the job run:
      // it is up already, and stays as it said.
      if (a.connected) return;
      a.exited = false;
      ApplyState(a, v1::AGENT_STATE_STARTING, restart + ev.detail);  // "pid 123", "Slurm job 42 running on node1"
      return;
    case Kind::kExited: {
      a.pid = 0;
      a.node.clear();  // job_id stays: which job ended
      a.connected = false;
      a.exited = true;
      a.spawned_mono = 0;
      if (a.role == "worker") InstanceGone(a.id);
      // A candidate that crashes under live traffic is not promoted.
      if (!stopping_) controller_->OnWorkerLost(a.id, "crashed (" + ev.detail + ")");
      const bool clean = ev.clean;
      if (a.state == v1::AGENT_STATE_STOPPED && clean) {
        PersistAgent(a);
        return;
      }
      ApplyState(a, clean ? v1::AGENT_STATE_STOPPED : v1::AGENT_STATE_FAILED, ev.detail);
      return;
    }
    case Kind::kRestartScheduled:
      a.restarts = ev.restarts;
      RecordClusterEvent("restart_scheduled", ev.detail, a.id);
      return;
    case Kind::kGaveUp:
      ApplyState(a, v1::AGENT_STATE_FAILED, "not restarted: " + ev.detail);
      return;
    case Kind::kSpawnFailed:
      a.pid = 0;
      ApplyState(a, v1::AGENT_STATE_FAILED, ev.detail);
      return;
  }
}

void Runtime::CheckLiveness(int64_t now) {
  if (stopping_) return;
  const int64_t budget = manifest_.runtime.heartbeat_interval_ms * manifest_.runtime.liveness;
  // A fresh process gets longer to register than a running one to answer:
  // loading a model can take a few seconds.
  const int64_t register_budget = std::max<int64_t>(15000, budget * 4);
  for (auto& [id, a] : agents_) {
    if (!a.supervised) {
      // External: nothing here can restart it. Its tasks go elsewhere, the
      // operator is told, and it is back when it says Hello again.
      if (a.connected && now - a.last_seen_mono > budget) {
        const std::string why = "lost: no heartbeat for " + std::to_string(now - a.last_seen_mono) + " ms (budget " +
                                std::to_string(budget) + " ms); external agent" +
                                (a.node.empty() ? "" : " on " + a.node) +
                                ", not restarted by the runtime: waiting for it to reconnect";
        a.connected = false;
        ApplyState(a, v1::AGENT_STATE_FAILED, why);
        RecordClusterEvent("agent_lost", why, a.id);
        if (a.role == "worker") WorkerLost(a.id, "stopped answering (" + why + ")");
      }
      continue;
    }
    if (a.spawned_mono == 0) continue;  // not running: no process, or a Slurm job still queued
    if (a.connected && now - a.last_seen_mono > budget) {
      std::string why = "lost: no heartbeat for " + std::to_string(now - a.last_seen_mono) + " ms (budget " +
                        std::to_string(budget) + " ms)";
      a.connected = false;
      ApplyState(a, v1::AGENT_STATE_FAILED, why);
      supervisor_->Kill(id, why);
      if (a.role == "worker") WorkerLost(a.id, "stopped answering (" + why + ")");
    } else if (!a.connected && a.state == v1::AGENT_STATE_STARTING && now - a.spawned_mono > register_budget) {
      std::string why = "did not register within " + std::to_string(register_budget) + " ms";
      ApplyState(a, v1::AGENT_STATE_FAILED, why);
      supervisor_->Kill(id, why);
    }
  }
}

}  // namespace kaizen::core
