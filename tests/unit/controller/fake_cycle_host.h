// FakeCycleHost: the controller's host in memory. It records every decision
// it commits (and can refuse the next ones), every request, command, event
// and traffic change, and lets a test set the clock and what agents report.
#pragma once

#include <deque>
#include <map>
#include <string>
#include <vector>

#include "runtime/controller/cycle_host.h"

namespace kaizen::controller::testing {

class FakeCycleHost final : public CycleHost {
 public:
  struct SentCommand {
    std::string to;
    v1::Command::Kind kind;
    std::string argument, reason;
    ReplyHandler on_reply;
  };

  // ---- what a test sets ----
  int64_t now_ms = 1'000'000;
  std::map<std::string, AgentView> agents;
  std::vector<std::pair<std::string, std::string>> roles;  // (id, role) in manifest order
  int refuse_commits = 0;                                  // the next N commits fail
  bool registry_unreadable = false;                        // NextModelVersion fails

  // ---- what the host saw ----
  std::map<std::string, store::ModelRow> models;
  std::map<std::string, store::DatasetRow> datasets;
  std::map<std::string, cycle::CycleRecord> cycles;  // as committed
  std::vector<Decision> committed;
  std::vector<Event> journal;  // committed events and others, in order
  std::vector<std::pair<std::string, std::string>> cluster_events;  // what, detail
  std::vector<std::string> entered;                                // "from->to"
  std::vector<std::string> failed;                                 // why, of decisions not made
  std::vector<std::pair<std::string, bus::Envelope>> sent;         // stage requests
  std::vector<SentCommand> commands;
  std::map<std::string, cycle::ModelRef> assigned;
  router::TrafficPolicy traffic;
  std::vector<std::string> clones_started;  // model versions
  int clone_drains = 0;
  bool clone_running = false;

  FakeCycleHost() { traffic.SetSingle("worker"); }

  void AddAgent(const std::string& id, const std::string& role, int64_t epoch = 1) {
    roles.emplace_back(id, role);
    AgentView& a = agents[id];
    a.connected = true;
    a.epoch = epoch;
  }
  // The bodies of the requests sent so far, by role of their target.
  std::vector<std::string> SentBodies() const {
    std::vector<std::string> out;
    for (const auto& [to, e] : sent) out.push_back(bus::BodyName(e));
    return out;
  }
  std::vector<std::string> CommandKinds() const {
    std::vector<std::string> out;
    for (const auto& c : commands) out.push_back(v1::Command::Kind_Name(c.kind));
    return out;
  }

  // ---- CycleHost ----
  int64_t NowMs() const override { return now_ms; }
  Result<std::optional<store::ModelRow>> Model(const std::string& version) const override {
    auto it = models.find(version);
    if (it == models.end()) return std::optional<store::ModelRow>();
    return std::optional<store::ModelRow>(it->second);
  }
  Result<std::string> NextModelVersion() const override {
    if (registry_unreadable) return Status::Corruption("model v1: unknown model status 'archived'");
    return "v" + std::to_string(models.size() + 1);
  }
  std::string NextCycleId() const override { return "c" + std::to_string(cycles.size() + 1); }
  std::string DatasetThatMade(const std::string&) const override { return ""; }
  Status Commit(const Decision& d) override {
    if (refuse_commits > 0) {
      --refuse_commits;
      return Status::IOError("disk I/O error (the test refused this commit)");
    }
    for (const auto& m : d.models) models[m.version] = m;
    for (const auto& ds : d.datasets) datasets[ds.id] = ds;
    if (d.cycle) cycles[d.cycle->id] = *d.cycle;
    for (const auto& e : d.events) journal.push_back(e);
    committed.push_back(d);
    return Status::OK();
  }
  void JournalEvent(Event e) override { journal.push_back(std::move(e)); }
  void ClusterEvent(const std::string& what, const std::string& detail, const std::string&) override {
    cluster_events.emplace_back(what, detail);
  }
  void Entered(const cycle::CycleRecord&, v1::CycleStage from, v1::CycleStage to, const std::string&) override {
    entered.push_back(cycle::StageName(from) + "->" + cycle::StageName(to));
  }
  void DecisionFailed(const std::string&, const std::string& why) override { failed.push_back(why); }
  AgentView Agent(const std::string& id) const override {
    auto it = agents.find(id);
    return it == agents.end() ? AgentView{} : it->second;
  }
  std::string ConnectedAgentOf(const std::string& role) const override {
    for (const auto& [id, r] : roles) {
      if (r == role && Agent(id).connected) return id;
    }
    return "";
  }
  bool Send(const std::string& to, const bus::Envelope& e) override {
    sent.emplace_back(to, e);
    return Agent(to).connected;
  }
  void Command(const std::string& to, v1::Command::Kind kind, const std::string& argument, const std::string& reason,
               ReplyHandler on_reply) override {
    commands.push_back({to, kind, argument, reason, std::move(on_reply)});
  }
  void Assign(const std::string& instance, const cycle::ModelRef& model) override { assigned[instance] = model; }
  router::TrafficPolicy& Traffic() override { return traffic; }
  void StartClone(const cycle::ModelRef& model) override {
    clones_started.push_back(model.version);
    clone_running = true;
  }
  void DrainClone() override {
    ++clone_drains;
    clone_running = false;
  }
  bool CloneRunning() const override { return clone_running; }
};

}  // namespace kaizen::controller::testing
