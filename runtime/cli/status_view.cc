#include "runtime/cli/status_view.h"

#include <algorithm>

#include <fmt/format.h>

#include "runtime/base/clock.h"
#include "runtime/bus/envelope_codec.h"
#include "runtime/store/store.h"

namespace kaizen::cli {
namespace {

using json = nlohmann::json;

// The stages a cycle passes through, in order. awaiting_approval counts as the
// stage that asked: planning for a plan, rolling_out for a promotion.
const char* const kPipeline[] = {"triggered", "planning", "generating_data", "training", "evaluating", "rolling_out"};
constexpr int kPipelineStages = 6;

int PipelineIndex(const std::string& stage, const std::string& approval_subject) {
  if (stage == "awaiting_approval") return approval_subject == "promotion" ? 5 : 1;
  for (int i = 0; i < kPipelineStages; ++i) {
    if (stage == kPipeline[i]) return i;
  }
  return kPipelineStages;  // promoted, rolled_back, aborted: the end
}

std::string Bar(double fraction, int width) {
  fraction = std::clamp(fraction, 0.0, 1.0);
  const int filled = static_cast<int>(fraction * width + 0.5);
  return "[" + std::string(filled, '#') + std::string(width - filled, '.') + "]";
}

// The cycle's lines: what it is, where it stands in the pipeline, teacher spend.
std::string CycleText(const json& cy, bool compact) {
  if (cy.is_null() || !cy.is_object()) return "cycle: none\n";
  const std::string stage = cy.value("stage", "");
  const std::string candidate = cy.value("candidate", "").empty() ? "?" : cy.value("candidate", "");
  std::string o;
  if (compact) {  // the same facts, in lines that fit 80 columns
    o = fmt::format("cycle {}: {} -> {} (trigger {}, attempt {})\n", cy.value("id", ""), cy.value("incumbent", ""),
                    candidate, cy.value("trigger", ""), cy.value("attempt", 1));
  } else {
    o = fmt::format("cycle {}: {} (attempt {}, {} -> {}, trigger {}, teacher {} calls ${:.2f})\n", cy.value("id", ""),
                    stage, cy.value("attempt", 1), cy.value("incumbent", ""), candidate, cy.value("trigger", ""),
                    cy.value("teacher_calls", 0LL), cy.value("teacher_cost", 0.0));
  }
  const json approval = cy.value("approval", json::object());
  const int at = PipelineIndex(stage, approval.is_object() ? approval.value("subject", "") : "");
  // Progress through the pipeline; within training, the trainer's own fraction.
  double within = cy.contains("progress") ? cy["progress"].get<double>() : 0.0;
  const double overall = at >= kPipelineStages ? 1.0 : (at + within) / kPipelineStages;
  std::string line = "  " + Bar(overall, compact ? 24 : 30) + fmt::format(" {:3.0f}%  stage {}/{} {}", overall * 100,
                                                                          std::min(at + 1, kPipelineStages),
                                                                          kPipelineStages, stage);
  if (cy.contains("progress")) line += fmt::format(" {:.0f}%", within * 100);
  o += line + "\n";
  if (compact) o += fmt::format("  teacher: {} calls, ${:.2f}\n", cy.value("teacher_calls", 0LL), cy.value("teacher_cost", 0.0));
  if (cy.contains("outcome_reason")) o += "  " + cy["outcome_reason"].get<std::string>() + "\n";
  if (cy.contains("approval") && cy["approval"].is_object()) {
    // What waits for a person, and how to answer it.
    const json& a = cy["approval"];
    o += fmt::format("  approval waiting: {} ({}, on timeout: {}): kaizen approve|reject {} --reason ...\n",
                     a.value("id", ""), a.value("subject", ""), a.value("timeout_policy", ""), a.value("id", ""));
    if (!compact && !a.value("summary", "").empty()) o += "    " + a.value("summary", "") + "\n";
  }
  return o;
}

// A string field, "" when absent or null (a stopped cluster's rows, older runtimes).
std::string Text(const json& a, const char* key) {
  auto it = a.find(key);
  return it != a.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Where an agent runs: "fork", "slurm 42@node1", "slurm 42" (queued), "external@host".
std::string PlacementText(const json& a) {
  std::string p = Text(a, "placement");
  if (p.empty()) p = "fork";
  if (const std::string job = Text(a, "job_id"); !job.empty()) p += " " + job;
  if (const std::string node = Text(a, "node"); !node.empty()) p += "@" + node;
  return p;
}

// The placement column is shown only when some agent is not forked, so the
// usual table stays as it was.
bool AnyNotForked(const json& agents) {
  for (const auto& a : agents) {
    const std::string p = Text(a, "placement");
    if (!p.empty() && p != "fork") return true;
  }
  return false;
}

}  // namespace

json StatusToJson(const v1::StatusReply& r) {
  json agents = json::array();
  for (const auto& a : r.agents()) {
    agents.push_back({{"id", a.id()},
                      {"role", a.role()},
                      {"state", bus::StateName(a.state())},
                      {"detail", a.detail()},
                      {"pid", a.pid()},
                      {"restarts", a.restarts()},
                      {"model_version", a.model_version()},
                      {"connected", a.connected()},
                      {"last_seen_ms", a.last_seen_ms()},
                      {"placement", a.placement()},
                      {"job_id", a.job_id()},
                      {"node", a.node()}});
  }
  const auto& b = r.bus();
  json cycle = nullptr;
  if (!r.cycle_json().empty()) cycle = json::parse(r.cycle_json(), nullptr, false);
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
            {"rejected_keys", b.rejected_keys()},
            {"cli_peers", b.cli_peers()},
            {"cli_peers_forgotten", b.cli_peers_forgotten()}}},
          {"cycle", cycle},
          {"router", r.router_json().empty() ? json(nullptr) : json::parse(r.router_json(), nullptr, false)}};
}

json StoredStatus(const std::string& state_dir) {
  json j = {{"cluster", {{"running", false}, {"state_dir", state_dir}}},
            {"agents", json::array()}, {"bus", nullptr}, {"cycle", nullptr}};
  auto store = store::Store::Open(state_dir + "/state.db", store::Store::Mode::kReadOnly);
  if (!store.ok()) return j;
  auto rows = (*store)->ListAgents();
  if (!rows.ok()) return j;
  for (const auto& a : *rows) {
    j["agents"].push_back({{"id", a.id}, {"role", a.role}, {"state", a.state}, {"detail", a.detail},
                           {"pid", nullptr}, {"restarts", a.restarts}, {"model_version", a.model_version},
                           {"connected", false}, {"last_seen_ms", a.updated_ms},
                           {"placement", nullptr}, {"job_id", nullptr}, {"node", nullptr}});
  }
  return j;
}

std::string ClipColumns(const std::string& line, int columns) {
  int seen = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    // Count code points: every byte that is not a UTF-8 continuation byte starts one.
    if ((static_cast<unsigned char>(line[i]) & 0xC0) != 0x80) {
      if (seen == columns) return line.substr(0, i);
      ++seen;
    }
  }
  return line;
}

std::string StatusText(const json& j, const StatusTextOptions& options) {
  const bool compact = options.width > 0;
  std::string o;
  const auto& c = j["cluster"];
  if (c.value("running", false) && compact) {
    const int64_t up_s = std::max<int64_t>(0, (WallMs() - c["started_ms"].get<int64_t>()) / 1000);
    o += fmt::format("cluster {}: {} (runtime pid {}, up {}h{:02}m{:02}s)\n", c["name"].get<std::string>(),
                     c["phase"].get<std::string>(), c["runtime_pid"].get<long long>(), up_s / 3600, up_s / 60 % 60,
                     up_s % 60);
  } else if (c.value("running", false)) {
    o += fmt::format("cluster {}: {} (runtime pid {}, up since {})\n", c["name"].get<std::string>(),
                     c["phase"].get<std::string>(), c["runtime_pid"].get<long long>(),
                     FormatIsoMs(c["started_ms"].get<int64_t>()));
  } else {
    o += fmt::format("cluster at {} is not running; last known states:\n", c["state_dir"].get<std::string>());
  }
  const bool placed = AnyNotForked(j["agents"]);
  // PLACEMENT sits before DETAIL, which is last because it is the one that runs long.
  auto where = [&](const std::string& text, int width) {
    return placed ? fmt::format("{:<{}} ", text, width) : std::string();
  };
  if (compact) {
    o += fmt::format("{:<14} {:<10} {:<9} {:<5} {:>3} {}{}\n", "AGENT", "ROLE", "STATE", "MODEL", "RST",
                     where("PLACEMENT", 14), "DETAIL");
  } else {
    o += fmt::format("{:<14} {:<11} {:<10} {:<8} {:<8} {:<10} {}{}\n", "AGENT", "ROLE", "STATE", "PID", "RESTARTS",
                     "MODEL", where("PLACEMENT", 20), "DETAIL");
  }
  for (const auto& a : j["agents"]) {
    std::string pid = a["pid"].is_number() && a["pid"].get<int64_t>() > 0 ? std::to_string(a["pid"].get<int64_t>()) : "-";
    std::string model = a["model_version"].get<std::string>();
    if (model.empty()) model = "-";
    if (compact) {
      o += fmt::format("{:<14} {:<10} {:<9} {:<5} {:>3} {}{}\n", a["id"].get<std::string>(),
                       a["role"].get<std::string>(), a["state"].get<std::string>(), model, a["restarts"].get<int>(),
                       where(PlacementText(a), 14), a["detail"].get<std::string>());
    } else {
      o += fmt::format("{:<14} {:<11} {:<10} {:<8} {:<8} {:<10} {}{}\n", a["id"].get<std::string>(),
                       a["role"].get<std::string>(), a["state"].get<std::string>(), pid, a["restarts"].get<int>(), model,
                       where(PlacementText(a), 20), a["detail"].get<std::string>());
    }
  }
  if (!j["bus"].is_null()) {
    const auto& b = j["bus"];
    o += fmt::format("bus: {} received, {} sent, {} published, {} dropped", b["received"].get<unsigned long long>(),
                     b["sent"].get<unsigned long long>(), b["published"].get<unsigned long long>(),
                     b["dropped_frames"].get<unsigned long long>());
    std::string reasons;
    for (const auto& [k, v] : b["dropped"].items()) {
      if (v.get<uint64_t>() > 0) reasons += fmt::format("{}{} {}", reasons.empty() ? "" : ", ", v.get<uint64_t>(), k);
    }
    if (!reasons.empty()) o += " (" + reasons + ")";
    uint64_t rejected = b.value("rejected_keys", uint64_t{0});
    if (rejected) o += fmt::format(", {} CURVE keys refused", rejected);
    o += "\n";
  }
  if (j.contains("router") && j["router"].is_object()) {
    const auto& r = j["router"];
    const std::string tasks = fmt::format("{} submitted, {} answered, {} in flight, {} queued, {} re-sent",
                                          r.value("submitted", 0ULL), r.value("answered", 0ULL), r.value("in_flight", 0ULL),
                                          r.value("queued", 0ULL), r.value("resent", 0ULL));
    if (compact) o += "traffic: " + r.value("traffic", "") + "\ntasks: " + tasks + "\n";
    else o += "traffic: " + r.value("traffic", "") + "   tasks: " + tasks + "\n";
  }
  o += CycleText(j["cycle"], compact);
  if (!compact) return o;
  std::string clipped;
  size_t start = 0;
  while (start < o.size()) {
    size_t end = o.find('\n', start);
    if (end == std::string::npos) end = o.size();
    clipped += ClipColumns(o.substr(start, end - start), options.width) + "\n";
    start = end + 1;
  }
  return clipped;
}

}  // namespace kaizen::cli
