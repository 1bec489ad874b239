#include <cstdio>
#include <ctime>
#include <map>
#include <regex>

#include "runtime/base/clock.h"
#include "runtime/cli/commands.h"
#include "runtime/cli/event_format.h"
#include "runtime/cli/runtime_session.h"
#include "runtime/store/store.h"

namespace kaizen::cli {
namespace {

// "90s", "10m", "2h", "1d" ago, or "2026-11-22T10:00:00Z". 0 = no bound.
Result<int64_t> ParseSince(const std::string& s) {
  if (s.empty()) return int64_t{0};
  std::smatch m;
  if (std::regex_match(s, m, std::regex(R"((\d+)([smhd]))"))) {
    int64_t n = std::stoll(m[1]);
    int64_t unit = m[2] == "s" ? 1000 : m[2] == "m" ? 60000 : m[2] == "h" ? 3600000 : 86400000;
    return WallMs() - n * unit;
  }
  std::tm tm{};
  if (strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm)) return static_cast<int64_t>(timegm(&tm)) * 1000;
  return Status::InvalidArgument("--since '" + s + "': use a duration like 30s, 10m, 2h, 1d or a UTC time like 2026-11-22T10:00:00Z");
}

class Printer {
 public:
  // `roles`: agent id -> role, as the store knows them; state changes add clones.
  Printer(const LogsOptions& o, int64_t since_ms, std::map<std::string, std::string> roles)
      : o_(o), since_ms_(since_ms), roles_(std::move(roles)), min_level_(o.level.empty() ? 0 : LevelRank(o.level)) {}
  void Print(const bus::Envelope& e) {
    if (e.has_state_change()) roles_[e.state_change().agent_id()] = e.state_change().role();
    if (e.has_metrics_report()) {
      if (o_.requests) PrintRequests(e);
      return;
    }
    if (!IsStateLogEvent(e)) return;
    if (since_ms_ && e.timestamp_ms() < since_ms_) return;
    if (!o_.agent.empty() && EventAgent(e) != o_.agent) return;
    if (!o_.cycle.empty() && e.cycle_id() != o_.cycle) return;
    if (!o_.role.empty() && RoleOf(e) != o_.role) return;
    if (min_level_ > 0 && LevelRank(EventLevel(e)) < min_level_) return;
    std::string line = o_.output == "json" ? EventToJson(e).dump() : EventToText(e);
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
  }

 private:
  // A gateway's requests (journaled in batches): one line or object each.
  void PrintRequests(const bus::Envelope& e) {
    const v1::MetricsReport& r = e.metrics_report();
    const std::string& agent = r.agent_id();
    if (!o_.agent.empty() && agent != o_.agent) return;
    if (!o_.cycle.empty() && e.cycle_id() != o_.cycle) return;
    auto role = roles_.find(agent);
    if (!o_.role.empty() && (role == roles_.end() || role->second != o_.role)) return;
    for (const v1::RequestRecord& q : r.requests()) {
      if (since_ms_ && q.ts_ms() < since_ms_) continue;
      const char* level = q.status() >= 500 ? "error" : (q.status() >= 400 ? "warn" : "info");
      if (min_level_ > 0 && LevelRank(level) < min_level_) continue;
      std::string line = o_.output == "json" ? RequestToJson(agent, q).dump() : RequestToText(agent, q);
      std::printf("%s\n", line.c_str());
    }
    if (r.requests_dropped() > 0)
      std::printf("%s\n", (FormatIsoMs(e.timestamp_ms()) + "  " + agent + "  " + std::to_string(r.requests_dropped()) +
                           " request records not kept (more than the gateway keeps between two reports)")
                              .c_str());
    std::fflush(stdout);
  }
  // The role of the agent an event concerns; "runtime" for the runtime's own events.
  std::string RoleOf(const bus::Envelope& e) const {
    if (e.has_state_change()) return e.state_change().role();
    const std::string agent = EventAgent(e);
    if (agent.empty()) return "runtime";
    auto it = roles_.find(agent);
    return it == roles_.end() ? "" : it->second;
  }
  const LogsOptions& o_;
  int64_t since_ms_;
  std::map<std::string, std::string> roles_;
  int min_level_;
};

// Agent id -> role from the store (works whether the cluster runs or not).
std::map<std::string, std::string> KnownRoles(const std::string& state_dir) {
  std::map<std::string, std::string> roles;
  auto store = store::Store::Open(state_dir + "/state.db", store::Store::Mode::kReadOnly);
  if (!store.ok()) return roles;
  auto rows = (*store)->ListAgents();
  if (!rows.ok()) return roles;
  for (const auto& a : *rows) roles[a.id] = a.role;
  return roles;
}

int HistoryFromStore(const std::string& state_dir, Printer& printer, int64_t since_ms) {
  auto store = store::Store::Open(state_dir + "/state.db", store::Store::Mode::kReadOnly);
  if (!store.ok()) {
    std::fprintf(stderr, "kaizen logs: %s\n", store.status().message().c_str());
    return kExitFailure;
  }
  store::EventFilter f;
  f.since_ms = since_ms;
  f.limit = 5000;
  while (true) {
    auto events = (*store)->ReadEvents(f);
    if (!events.ok()) {
      std::fprintf(stderr, "kaizen logs: %s\n", events.status().message().c_str());
      return kExitFailure;
    }
    for (const auto& row : *events) {
      bus::Envelope e;
      if (e.ParseFromString(row.payload)) printer.Print(e);
    }
    if (events->size() < f.limit) return kExitOk;
    f.from_seq = events->back().seq + 1;
  }
}

// Replays from `*printed + 1` to the end of the journal through the runtime.
Status Replay(RuntimeSession& session, uint64_t* printed, Printer& printer) {
  while (true) {
    bus::Envelope req = session.NewRequest();
    req.mutable_replay_request()->set_from_seq(*printed + 1);
    auto reply = session.Call(std::move(req));
    if (!reply.ok()) return reply.status();
    const auto& batch = reply->replay_batch();
    for (const auto& e : batch.events()) {
      if (e.seq() <= *printed) continue;
      printer.Print(e);
      *printed = e.seq();
    }
    if (batch.done() || batch.events().empty()) return Status::OK();
  }
}

// Clone pattern: subscribe first, replay history, then print live events;
// a gap in sequence numbers (or a quiet second) triggers another replay, so
// nothing is missed between history and live.
int Follow(const std::string& state_dir, const std::string& key_file, Printer& printer) {
  auto session = RuntimeSession::Open(state_dir, key_file);
  if (!session.ok()) {
    std::fprintf(stderr, "kaizen logs -f: %s\n", session.status().message().c_str());
    return kExitNotRunning;
  }
  RuntimeSession& s = **session;
  if (Status st = s.client().SubscribeEvents(s.info().events_endpoint, {""}); !st.ok()) {
    std::fprintf(stderr, "kaizen logs -f: %s\n", st.message().c_str());
    return kExitFailure;
  }
  uint64_t printed = 0;
  if (Status st = Replay(s, &printed, printer); !st.ok()) {
    std::fprintf(stderr, "kaizen logs -f: %s\n", st.message().c_str());
    return kExitFailure;
  }
  int64_t last_sync = MonoMs();
  while (true) {
    auto ev = s.client().ReceiveEvent(250);
    if (ev) {
      uint64_t seq = ev->envelope.seq();
      if (seq <= printed) continue;
      if (seq > printed + 1) {
        if (!Replay(s, &printed, printer).ok()) break;
        if (seq <= printed) continue;
      }
      printer.Print(ev->envelope);
      printed = seq;
      continue;
    }
    if (MonoMs() - last_sync > 1000) {
      last_sync = MonoMs();
      if (!core::RuntimeAlive(s.paths())) break;
      if (!Replay(s, &printed, printer).ok()) break;
    }
  }
  // The runtime is gone: print what it journaled last, then stop following.
  store::EventFilter f;
  f.from_seq = printed + 1;
  f.limit = 5000;
  auto store = store::Store::Open(state_dir + "/state.db", store::Store::Mode::kReadOnly);
  while (store.ok()) {
    auto rows = (*store)->ReadEvents(f);
    if (!rows.ok()) break;
    for (const auto& row : *rows) {
      bus::Envelope e;
      if (e.ParseFromString(row.payload)) printer.Print(e);
    }
    if (rows->size() < f.limit) break;
    f.from_seq = rows->back().seq + 1;
  }
  std::fprintf(stderr, "kaizen logs -f: the runtime stopped\n");
  return kExitOk;
}

}  // namespace

int RunLogs(const LogsOptions& o) {
  auto dir = core::ResolveStateDir(o.state_dir);
  if (!dir.ok()) {
    std::fprintf(stderr, "kaizen logs: %s\n", dir.status().message().c_str());
    return kExitInvalid;
  }
  auto since = ParseSince(o.since);
  if (!since.ok()) {
    std::fprintf(stderr, "kaizen logs: %s\n", since.status().message().c_str());
    return kExitInvalid;
  }
  Printer printer(o, *since, KnownRoles(*dir));
  if (o.follow) return Follow(*dir, o.key_file, printer);
  return HistoryFromStore(*dir, printer, *since);
}

}  // namespace kaizen::cli
