#include <cstdio>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "runtime/base/clock.h"
#include "runtime/cli/commands.h"
#include "runtime/cli/runtime_session.h"
#include "runtime/store/store.h"

namespace kaizen::cli {
namespace {

nlohmann::json StatusToJson(const v1::StatusReply& r) {
  nlohmann::json agents = nlohmann::json::array();
  for (const auto& a : r.agents()) {
    agents.push_back({{"id", a.id()},
                      {"role", a.role()},
                      {"state", bus::StateName(a.state())},
                      {"detail", a.detail()},
                      {"pid", a.pid()},
                      {"restarts", a.restarts()},
                      {"model_version", a.model_version()},
                      {"connected", a.connected()},
                      {"last_seen_ms", a.last_seen_ms()}});
  }
  const auto& b = r.bus();
  nlohmann::json cycle = nullptr;
  if (!r.cycle_json().empty()) cycle = nlohmann::json::parse(r.cycle_json(), nullptr, false);
  return {{"cluster",
           {{"name", r.cluster()},
            {"phase", r.phase()},
            {"running", true},
            {"runtime_pid", r.runtime_pid()},
            {"started_ms", r.started_ms()},
            {"state_dir", r.state_dir()},
            {"control", r.control_endpoint()},
            {"events", r.events_endpoint()},
            {"journal_seq", r.last_seq()}}},
          {"agents", agents},
          {"bus",
           {{"received", b.received()},
            {"sent", b.sent()},
            {"published", b.published()},
            {"dropped_frames", b.dropped_frames()},
            {"dropped", {{"malformed", b.dropped_malformed()},
                         {"oversized", b.dropped_oversized()},
                         {"unknown_sender", b.dropped_unknown_sender()},
                         {"forged_sender", b.dropped_forged_sender()},
                         {"unexpected", b.dropped_unexpected()},
                         {"rate_limited", b.dropped_rate_limited()}}},
            {"rejected_keys", b.rejected_keys()}}},
          {"cycle", cycle},
          {"router", r.router_json().empty() ? nlohmann::json(nullptr)
                                             : nlohmann::json::parse(r.router_json(), nullptr, false)}};
}

// Last known agent states from the store, for a cluster that is down.
nlohmann::json StoredStatus(const std::string& state_dir) {
  nlohmann::json j = {{"cluster", {{"running", false}, {"state_dir", state_dir}}},
                      {"agents", nlohmann::json::array()}, {"bus", nullptr}, {"cycle", nullptr}};
  auto store = store::Store::Open(state_dir + "/state.db", store::Store::Mode::kReadOnly);
  if (!store.ok()) return j;
  auto rows = (*store)->ListAgents();
  if (!rows.ok()) return j;
  for (const auto& a : *rows) {
    j["agents"].push_back({{"id", a.id}, {"role", a.role}, {"state", a.state}, {"detail", a.detail},
                           {"pid", nullptr}, {"restarts", a.restarts}, {"model_version", a.model_version},
                           {"connected", false}, {"last_seen_ms", a.updated_ms}});
  }
  return j;
}

void PrintText(const nlohmann::json& j) {
  const auto& c = j["cluster"];
  if (c.value("running", false)) {
    std::printf("cluster %s: %s (runtime pid %lld, up since %s)\n", c["name"].get<std::string>().c_str(),
                c["phase"].get<std::string>().c_str(), c["runtime_pid"].get<long long>(),
                FormatIsoMs(c["started_ms"].get<int64_t>()).c_str());
  } else {
    std::printf("cluster at %s is not running; last known states:\n", c["state_dir"].get<std::string>().c_str());
  }
  std::printf("%-14s %-11s %-10s %-8s %-8s %-10s %s\n", "AGENT", "ROLE", "STATE", "PID", "RESTARTS", "MODEL", "DETAIL");
  for (const auto& a : j["agents"]) {
    std::string pid = a["pid"].is_number() && a["pid"].get<int64_t>() > 0 ? std::to_string(a["pid"].get<int64_t>()) : "-";
    std::string model = a["model_version"].get<std::string>();
    std::printf("%-14s %-11s %-10s %-8s %-8d %-10s %s\n", a["id"].get<std::string>().c_str(),
                a["role"].get<std::string>().c_str(), a["state"].get<std::string>().c_str(), pid.c_str(),
                a["restarts"].get<int>(), model.empty() ? "-" : model.c_str(), a["detail"].get<std::string>().c_str());
  }
  if (!j["bus"].is_null()) {
    const auto& b = j["bus"];
    std::printf("bus: %llu received, %llu sent, %llu published, %llu dropped", b["received"].get<unsigned long long>(),
                b["sent"].get<unsigned long long>(), b["published"].get<unsigned long long>(),
                b["dropped_frames"].get<unsigned long long>());
    std::string reasons;
    for (const auto& [k, v] : b["dropped"].items()) {
      if (v.get<uint64_t>() > 0) reasons += fmt::format("{}{} {}", reasons.empty() ? "" : ", ", v.get<uint64_t>(), k);
    }
    std::printf("%s", reasons.empty() ? "" : (" (" + reasons + ")").c_str());
    uint64_t rejected = b.value("rejected_keys", uint64_t{0});
    std::printf("%s\n", rejected ? fmt::format(", {} CURVE keys refused", rejected).c_str() : "");
  }
  if (j.contains("router") && j["router"].is_object()) {
    const auto& r = j["router"];
    std::printf("traffic: %s   tasks: %llu submitted, %llu answered, %llu in flight, %llu queued, %llu re-sent\n",
                r.value("traffic", "").c_str(), r.value("submitted", 0ULL), r.value("answered", 0ULL),
                r.value("in_flight", 0ULL), r.value("queued", 0ULL), r.value("resent", 0ULL));
  }
  const auto& cy = j["cycle"];
  if (cy.is_null() || !cy.is_object()) {
    std::printf("cycle: none\n");
    return;
  }
  std::string progress;
  if (cy.contains("progress")) {
    int filled = static_cast<int>(cy["progress"].get<double>() * 20);
    progress = " [" + std::string(filled, '#') + std::string(20 - filled, '.') + "]";
  }
  std::printf("cycle %s: %s%s (attempt %d, %s -> %s, trigger %s, teacher %lld calls $%.2f)\n",
              cy.value("id", "").c_str(), cy.value("stage", "").c_str(), progress.c_str(), cy.value("attempt", 1),
              cy.value("incumbent", "").c_str(), cy.value("candidate", "").empty() ? "?" : cy.value("candidate", "").c_str(),
              cy.value("trigger", "").c_str(), cy.value("teacher_calls", 0LL), cy.value("teacher_cost", 0.0));
  if (cy.contains("outcome_reason")) std::printf("  %s\n", cy["outcome_reason"].get<std::string>().c_str());
}

}  // namespace

int RunStatus(const StatusOptions& o) {
  auto dir = core::ResolveStateDir(o.state_dir);
  if (!dir.ok()) {
    std::fprintf(stderr, "kaizen status: %s\n", dir.status().message().c_str());
    return kExitInvalid;
  }
  nlohmann::json j;
  int code = kExitOk;
  auto session = RuntimeSession::Open(*dir, o.key_file);
  if (!session.ok()) {
    // Alive but not answering us: say why rather than look like a stopped cluster.
    if (core::RuntimeAlive(core::StatePaths(*dir))) {
      std::fprintf(stderr, "kaizen status: %s\n", session.status().message().c_str());
    }
    j = StoredStatus(*dir);
    code = kExitNotRunning;
  } else {
    bus::Envelope req = (*session)->NewRequest();
    req.mutable_status_request();
    auto reply = (*session)->Call(std::move(req));
    if (!reply.ok() || !reply->has_status_reply()) {
      std::fprintf(stderr, "kaizen status: %s\n", reply.ok() ? "unexpected answer" : reply.status().message().c_str());
      return kExitFailure;
    }
    j = StatusToJson(reply->status_reply());
  }
  if (o.output == "json") std::printf("%s\n", j.dump(2).c_str());
  else PrintText(j);
  return code;
}

}  // namespace kaizen::cli
