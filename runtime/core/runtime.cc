#include "runtime/core/runtime.h"

#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstring>

#include <spdlog/spdlog.h>

#include "runtime/base/clock.h"
#include "runtime/supervisor/launchers.h"

namespace kaizen::core {

Runtime::Runtime(config::Manifest manifest, Options options)
    : manifest_(std::move(manifest)), options_(std::move(options)), paths_(manifest_.runtime.state_dir) {}

Runtime::~Runtime() = default;

Status Runtime::Run() {
  Status s = Start();
  if (options_.on_ready) options_.on_ready(s);
  if (!s.ok()) return s;
  Loop();
  Finish();
  return Status::OK();
}

Status Runtime::Start() {
  Status s = CreateStateDir(paths_);
  if (!s.ok()) return s;
  auto lock = StateLock::Acquire(paths_);
  if (!lock.ok()) return lock.status();
  lock_.emplace(std::move(lock.value()));

  // Signals become poll events; SIGCHLD must be blocked before the first fork
  // and before the first thread (the store's checkpointer): a thread started
  // earlier keeps them unblocked, takes SIGCHLD itself, and no child is reaped.
  auto signals = SignalFd::Create({SIGTERM, SIGINT, SIGCHLD, SIGHUP});
  if (!signals.ok()) return signals.status();
  signals_.emplace(std::move(signals.value()));
  std::signal(SIGPIPE, SIG_IGN);

  auto store = store::Store::Open(paths_.db);
  if (!store.ok()) return store.status().WithContext("opening " + paths_.db);
  store_ = std::move(store.value());

  bus::Broker::Options bopts;
  bopts.control_endpoint = manifest_.runtime.control_endpoint;
  bopts.events_endpoint = manifest_.runtime.events_endpoint;
  bopts.max_frame_bytes = static_cast<size_t>(manifest_.runtime.max_frame_bytes);
  if (manifest_.runtime.curve) {  // keys made on first use; see bus/cluster_keys.h
    std::vector<bus::ListedKey> listed;
    for (const auto& c : manifest_.runtime.clients) listed.push_back({c.name, c.role, c.public_key, c.public_key_file});
    auto keys = bus::PrepareClusterKeys(bus::KeysDir(paths_.dir), manifest_.runtime.server_key, listed);
    if (!keys.ok()) return keys.status();
    keys_ = std::move(keys.value());
    bopts.curve_secret_key = keys_->server.secret_key;
    bopts.curve_clients = keys_->allowed;
  }
  auto broker = bus::Broker::Bind(context_, bopts);
  if (!broker.ok()) return broker.status();
  broker_ = std::move(broker.value());
  journal_ = std::make_unique<Journal>(*store_, *broker_);
  flood_ = std::make_unique<FloodGuard>(static_cast<double>(manifest_.runtime.max_messages_per_s),
                                        2.0 * static_cast<double>(manifest_.runtime.max_messages_per_s));

  started_ms_ = WallMs();
  RuntimeInfo info;
  info.pid = ::getpid();
  info.cluster = manifest_.name;
  info.control_endpoint = broker_->control_endpoint();
  info.events_endpoint = broker_->events_endpoint();
  info.manifest = manifest_.source_path;
  info.started_ms = started_ms_;
  if (keys_) info.server_public_key = keys_->server.public_key;
  s = WriteRuntimeInfo(paths_, info);
  if (!s.ok()) return s;

  RecordClusterEvent("started", "cluster '" + manifest_.name + "' from " + manifest_.source_path + ", runtime pid " +
                                    std::to_string(::getpid()) + ", control " + broker_->control_endpoint());
  spdlog::info("runtime for '{}' listening on {} (events {})", manifest_.name, broker_->control_endpoint(),
               broker_->events_endpoint());

  // Agents placed on Slurm: jobs an earlier runtime left are cancelled first.
  std::vector<slurm::JobInfo> leftovers;
  auto launchers = supervisor::LaunchersFor(manifest_, paths_.dir, &leftovers);
  if (!launchers.ok()) return launchers.status();
  for (const auto& j : leftovers) {
    RecordClusterEvent("slurm_job_cancelled", "Slurm job " + j.id + " (" + j.name + ", " +
                                                  slurm::JobStateName(j.state) + ") was left by an earlier runtime");
  }
  supervisor_ = std::make_unique<supervisor::Supervisor>(
      [this](const supervisor::ChildEvent& ev) { OnChildEvent(ev); }, std::move(*launchers));
  router::TaskRouter::Options ropts;
  ropts.task_timeout_ms = manifest_.runtime.task_timeout_ms;
  ropts.max_in_flight_per_instance = static_cast<size_t>(manifest_.runtime.max_in_flight_per_instance);
  router_ = std::make_unique<router::TaskRouter>(
      ropts,
      [this](const v1::Task& task) {
        const std::string arm =
            traffic_.Pick(task.routing_key(), [this](const std::string& arm) { return ArmCanServe(arm); });
        if (arm.empty()) return arm;
        return replica_picker_.Pick(
            ReplicasOf(arm), [this](const std::string& id) { return CanServe(id); },
            [this](const std::string& id) { return router_->InFlightOn(id); });
      },
      [this](const std::string& instance, const v1::Task& task) {
        bus::Envelope e = bus::MakeEnvelope("runtime", instance);
        e.set_correlation_id(task.task_id());
        *e.mutable_task() = task;
        return broker_->Send(instance, e);
      });
  for (const auto& spec : manifest_.agents) {
    AgentEntry& a = agents_[spec.id];
    a.id = spec.id;
    a.role = spec.role;
    a.settings_json = spec.settings.dump();
    a.placement = spec.placement;
    agent_order_.push_back(spec.id);
  }
  worker_id_ = manifest_.spec.at("worker").at("id").get<std::string>();
  clone_id_ = worker_id_ + "-clone";
  const nlohmann::json& worker = manifest_.spec.at("worker");
  worker_replicas_ = config::ReplicaIds(worker_id_, worker.at("replicas").get<int64_t>());
  clone_replicas_ = config::ReplicaIds(clone_id_, worker.at("clone_replicas").get<int64_t>());
  RestoreTasks();
  StartCycleController();
  LoadRegistry();
  traffic_.SetSingle(worker_id_);
  s = StartMetrics();  // a port in use is logged (metrics_failed) and the cluster runs without metrics
  if (!s.ok()) return s;
  for (const auto& spec : manifest_.agents) {
    if (spec.placement == config::Placement::kExternal) {
      // Someone else starts it, on whatever host: the runtime waits for it.
      AgentEntry& a = agents_.at(spec.id);
      a.supervised = false;
      ApplyState(a, v1::AGENT_STATE_STARTING,
                 "external: waiting for `kaizen agent --role " + a.role + " --id " + a.id + " --connect " +
                     broker_->control_endpoint() + "` to join");
      continue;
    }
    s = StartAgentProcess(agents_.at(spec.id), spec.restart);
    if (!s.ok()) {
      // Stop what was started; the caller reports why.
      supervisor_->StopAll(SIGKILL);
      return s;
    }
  }
  controller_->Reconcile();  // resumes a cycle an earlier runtime left unfinished
  next_tick_ms_ = MonoMs();
  return Status::OK();
}

void Runtime::Loop() {
  const int64_t tick_ms = std::max<int64_t>(20, manifest_.runtime.heartbeat_interval_ms / 2);
  while (true) {
    int64_t now = MonoMs();
    if (stopping_) {
      if (supervisor_->AllExited() && !ExternalAgentsDraining(now)) break;
      if (!killed_ && now >= stop_deadline_ms_) {
        killed_ = true;
        RecordClusterEvent("stop_grace_expired",
                           "agents still running after " + std::to_string(manifest_.runtime.shutdown_grace_ms) +
                               " ms; sending SIGKILL");
        supervisor_->StopAll(SIGKILL);
      }
    }
    int64_t timeout = std::max<int64_t>(0, next_tick_ms_ - now);
    int64_t restart_in = supervisor_->MsUntilNextRestart(now);
    if (restart_in >= 0) timeout = std::min(timeout, restart_in);
    if (stopping_) timeout = std::min<int64_t>(timeout, 50);

    zmq::pollitem_t items[3] = {
        {broker_->control().handle(), 0, ZMQ_POLLIN, 0},
        {broker_->events().handle(), 0, ZMQ_POLLIN, 0},
        {nullptr, signals_->fd(), ZMQ_POLLIN, 0},
    };
    try {
      zmq::poll(items, 3, std::chrono::milliseconds(timeout));
    } catch (const zmq::error_t& e) {
      if (e.num() != EINTR) spdlog::warn("poll: {}", e.what());
    }
    if (items[2].revents & ZMQ_POLLIN) {
      while (auto sig = signals_->Read()) {
        if (*sig == SIGCHLD) {
          supervisor_->Reap();
        } else {
          BeginShutdown("received signal " + std::to_string(*sig) + " (" + strsignal(*sig) + ")");
        }
      }
    }
    if (items[0].revents & ZMQ_POLLIN) {
      // Bounded per turn so heartbeats and reaping keep their pace under a flood.
      for (int i = 0; i < 2000; ++i) {
        bool read = false;
        auto in = broker_->Receive(&read);
        if (!read) break;
        if (!in) continue;
        if (!flood_->Admit(in->identity, now, KnownPeer(in->identity))) {
          if (flood_->ShouldLog()) {
            spdlog::warn("bus: '{}' sends faster than {} messages/s; its messages are dropped ({} so far)",
                         in->identity, manifest_.runtime.max_messages_per_s, flood_->limited());
          }
          continue;
        }
        OnControl(*in);
      }
    }
    if (items[1].revents & ZMQ_POLLIN) broker_->DrainSubscriptions();

    now = MonoMs();
    router_->Tick(now);
    supervisor_->Tick(now);
    if (now >= next_tick_ms_) {
      OnTick(now);
      next_tick_ms_ = now + tick_ms;
    }
    // Group commit: this turn's events and task rows in one transaction,
    // then their publication and the answers to clients (see journal.h).
    (void)journal_->Flush();
  }
}

Status Runtime::StartAgentProcess(const AgentEntry& a, const config::RestartSpec& restart) {
  supervisor::ChildSpec child;
  child.placement = a.placement;
  // Its role's resources (a clone: the worker's, as every replica's).
  auto spec = std::find_if(manifest_.agents.begin(), manifest_.agents.end(),
                           [&](const config::AgentSpec& s) { return s.id == a.id; });
  if (spec == manifest_.agents.end()) {
    spec = std::find_if(manifest_.agents.begin(), manifest_.agents.end(),
                        [&](const config::AgentSpec& s) { return s.role == a.role; });
  }
  if (spec != manifest_.agents.end()) child.resources = spec->resources;
  child.id = a.id;
  child.role = a.role;
  child.argv = {options_.agent_executable, "agent",  "--role",      a.role,
                "--id",                    a.id,     "--connect",   broker_->control_endpoint(),
                "--log-level",             manifest_.runtime.log_level};
  if (keys_) child.argv.insert(child.argv.end(), {"--key-file", keys_->agent_key_file,  // security.curve
                                                  "--server-key", keys_->server.public_key});
  child.log_path = paths_.AgentLog(a.id);
  child.restart = restart;
  return supervisor_->Start(child);
}

void Runtime::OnTick(int64_t now) {
  CheckLiveness(now);
  CycleTick(now);
  HumanTick(now);
  // Heartbeats to every connected agent; a runtime that falls silent makes
  // agents reconnect.
  for (auto& [id, a] : agents_) {
    if (!a.connected) continue;
    bus::Envelope hb = bus::MakeEnvelope("runtime", id);
    hb.mutable_heartbeat()->set_sent_ms(WallMs());
    broker_->Send(id, hb);
  }
  // Forget CLI peers idle for five minutes.
  std::erase_if(clients_, [now](const auto& kv) { return now - kv.second > 300000; });
  PublishMetrics();
}

void Runtime::BeginShutdown(const std::string& reason) {
  if (stopping_) return;
  stopping_ = true;
  stop_deadline_ms_ = MonoMs() + manifest_.runtime.shutdown_grace_ms;
  RecordClusterEvent("stopping", reason + "; draining agents (grace " +
                                     std::to_string(manifest_.runtime.shutdown_grace_ms) + " ms)");
  spdlog::info("stopping: {}", reason);
  // SIGTERM makes every agent drain (finish in-flight work) and exit; the
  // supervisor no longer restarts anyone.
  supervisor_->StopAll(SIGTERM);
  // Agents someone else started get the same over the bus: they drain and exit.
  for (auto& [id, a] : agents_) {
    if (!a.supervised && a.connected) SendCommand(id, v1::Command::DRAIN, "", reason);
  }
}

bool Runtime::ExternalAgentsDraining(int64_t now) const {
  if (now >= stop_deadline_ms_) return false;
  return std::any_of(agents_.begin(), agents_.end(), [](const auto& entry) {
    const AgentEntry& a = entry.second;
    return !a.supervised && a.connected && a.state != v1::AGENT_STATE_STOPPED;
  });
}

void Runtime::Finish() {
  for (auto& [id, a] : agents_) {
    if (a.state != v1::AGENT_STATE_STOPPED && a.state != v1::AGENT_STATE_FAILED) {
      ApplyState(a, v1::AGENT_STATE_STOPPED, "cluster stopped");
    }
  }
  RecordClusterEvent("stopped", "all agents stopped");
  ::unlink(paths_.runtime_json.c_str());
  spdlog::info("cluster '{}' stopped", manifest_.name);
}

void Runtime::RecordClusterEvent(const std::string& what, const std::string& detail, const std::string& agent_id) {
  bus::Envelope e = bus::MakeEnvelope("runtime", "");
  auto* ce = e.mutable_cluster_event();
  ce->set_what(what);
  ce->set_detail(detail);
  ce->set_agent_id(agent_id);
  if (Status s = journal_->Record("cluster", agent_id, "", &e); !s.ok()) {
    spdlog::error("the cluster event '{}' is not journaled: {}", what, s.ToString());
  }
}

}  // namespace kaizen::core
