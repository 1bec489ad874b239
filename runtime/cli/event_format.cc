#include "runtime/cli/event_format.h"

#include <cctype>
#include <cstdio>
#include <utility>

#include <fmt/format.h>

#include "runtime/base/clock.h"

namespace kaizen::cli {

std::string EventAgent(const bus::Envelope& e) {
  if (e.has_state_change()) return e.state_change().agent_id();
  if (e.has_cluster_event()) return e.cluster_event().agent_id();
  if (e.has_cycle_transition()) return "";
  return e.sender() == "runtime" ? "" : e.sender();
}

bool IsStateLogEvent(const bus::Envelope& e) {
  switch (e.body_case()) {
    case bus::Envelope::kStateChange:
    case bus::Envelope::kClusterEvent:
    case bus::Envelope::kCycleTransition:
    case bus::Envelope::kTrigger:
    case bus::Envelope::kPlan:
    case bus::Envelope::kDatasetReady:
    case bus::Envelope::kModelReady:
    case bus::Envelope::kEvalReport:
    case bus::Envelope::kRolloutDecision:
    case bus::Envelope::kApprovalRequest:
    case bus::Envelope::kApprovalDecision:
      return true;
    default:
      return false;  // tasks, feedback, progress: too many for the state log
  }
}

std::string EventLevel(const bus::Envelope& e) {
  switch (e.body_case()) {
    case bus::Envelope::kStateChange:
      if (e.state_change().to() == v1::AGENT_STATE_FAILED) return "error";
      return "info";
    case bus::Envelope::kClusterEvent: {
      const std::string& what = e.cluster_event().what();
      if (what == "clone_failed") return "error";
      if (what == "metrics_failed") return "warn";
      if (what == "restart_scheduled" || what == "stop_grace_expired" || what == "operator_rollback" ||
          what == "operator_promote") {
        return "warn";
      }
      return "info";
    }
    case bus::Envelope::kCycleTransition:
      if (e.cycle_transition().to() == v1::CYCLE_STAGE_ABORTED) return "error";
      if (e.cycle_transition().to() == v1::CYCLE_STAGE_ROLLED_BACK ||
          e.cycle_transition().to() == v1::CYCLE_STAGE_AWAITING_APPROVAL) {
        return "warn";
      }
      return "info";
    case bus::Envelope::kEvalReport:
      return e.eval_report().pass() ? "info" : "warn";
    case bus::Envelope::kRolloutDecision:
      return e.rollout_decision().outcome() == v1::RolloutDecision::PROMOTE ? "info" : "warn";
    case bus::Envelope::kApprovalRequest:
      return "warn";  // a person must act
    case bus::Envelope::kApprovalDecision:
      return e.approval_decision().approved() ? "info" : "warn";
    case bus::Envelope::kError:
      return "error";
    default:
      return "info";
  }
}

int LevelRank(const std::string& level) {
  if (level == "info") return 0;
  if (level == "warn") return 1;
  if (level == "error") return 2;
  return -1;
}

namespace {

std::string StageName(v1::CycleStage s) {
  std::string n = v1::CycleStage_Name(s);
  if (n.rfind("CYCLE_STAGE_", 0) == 0) n = n.substr(12);
  for (auto& c : n) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return n == "unspecified" ? "-" : n;
}

// What a cycle event says, in one line: (what, detail).
std::pair<std::string, std::string> CycleEventText(const bus::Envelope& e) {
  switch (e.body_case()) {
    case bus::Envelope::kCycleTransition: {
      const auto& ct = e.cycle_transition();
      return {StageName(ct.from()) + " -> " + StageName(ct.to()), ct.reason()};
    }
    case bus::Envelope::kTrigger:
      return {"trigger", e.trigger().policy() + ": " + e.trigger().reason()};
    case bus::Envelope::kPlan:
      return {"plan", fmt::format("{} x{} by {} ({}); {}", e.plan().strategy(), e.plan().teacher_calls(),
                                  e.plan().teacher(), e.plan().selection_policy(), e.plan().rationale())};
    case bus::Envelope::kDatasetReady: {
      const auto& d = e.dataset_ready();
      return {"dataset", fmt::format("{}: {} train / {} validation rows, {} teacher calls, ${:.2f}",
                                     d.dataset_id().substr(0, 12), d.train_rows(), d.validation_rows(),
                                     d.teacher_calls(), d.teacher_cost())};
    }
    case bus::Envelope::kModelReady:
      return {"model", fmt::format("{} registered{}", e.model_ready().version(),
                                   e.model_ready().parent().empty() ? "" : " (parent " + e.model_ready().parent() + ")")};
    case bus::Envelope::kEvalReport:
      return {e.eval_report().pass() ? "evaluation_pass" : "evaluation_fail", e.eval_report().verdict()};
    case bus::Envelope::kRolloutDecision:
      return {v1::RolloutDecision::Outcome_Name(e.rollout_decision().outcome()), e.rollout_decision().reason()};
    case bus::Envelope::kApprovalRequest:
      return {"approval_request", fmt::format("{} waits ({}): {}; answer with kaizen approve|reject {} --reason ...",
                                              e.approval_request().subject(), e.approval_request().request_id(),
                                              e.approval_request().summary(), e.approval_request().request_id())};
    case bus::Envelope::kApprovalDecision:
      return {e.approval_decision().approved() ? "approved" : "rejected",
            "by " + e.approval_decision().decided_by() +
                (e.approval_decision().reason().empty() ? "" : ": " + e.approval_decision().reason())};
    default:
      return {bus::BodyName(e), ""};
  }
}

}  // namespace

nlohmann::json EventToJson(const bus::Envelope& e) {
  nlohmann::json j = {{"seq", e.seq()}, {"time", FormatIsoMs(e.timestamp_ms())}, {"ts_ms", e.timestamp_ms()},
                      {"kind", bus::BodyName(e)}, {"level", EventLevel(e)}};
  if (!e.cycle_id().empty()) j["cycle"] = e.cycle_id();
  if (e.has_state_change()) {
    const auto& sc = e.state_change();
    j["agent"] = sc.agent_id();
    j["role"] = sc.role();
    j["from"] = bus::StateName(sc.from());
    j["to"] = bus::StateName(sc.to());
    j["detail"] = sc.detail();
    j["pid"] = sc.pid();
    j["restarts"] = sc.restarts();
    if (!sc.model_version().empty()) j["model_version"] = sc.model_version();
  } else if (e.has_cluster_event()) {
    const auto& ce = e.cluster_event();
    j["what"] = ce.what();
    j["detail"] = ce.detail();
    if (!ce.agent_id().empty()) j["agent"] = ce.agent_id();
  } else if (IsStateLogEvent(e)) {
    auto [what, detail] = CycleEventText(e);
    j["what"] = what;
    j["detail"] = detail;
    if (!EventAgent(e).empty()) j["agent"] = EventAgent(e);
    if (e.has_cycle_transition()) {
      j["from"] = StageName(e.cycle_transition().from());
      j["to"] = StageName(e.cycle_transition().to());
    }
  }
  return j;
}

std::string EventToText(const bus::Envelope& e) {
  std::string time = FormatIsoMs(e.timestamp_ms());
  if (e.has_state_change()) {
    const auto& sc = e.state_change();
    std::string transition = fmt::format("{} -> {}", bus::StateName(sc.from()), bus::StateName(sc.to()));
    return fmt::format("{}  {:<12} {:<11} {:<22} {}", time, sc.agent_id(), sc.role(), transition, sc.detail());
  }
  if (e.has_cluster_event()) {
    const auto& ce = e.cluster_event();
    std::string who = ce.agent_id().empty() ? "runtime" : ce.agent_id();
    return fmt::format("{}  {:<12} {:<11} {:<22} {}", time, who, "cluster", ce.what(), ce.detail());
  }
  if (IsStateLogEvent(e)) {
    auto [what, detail] = CycleEventText(e);
    std::string who = e.has_cycle_transition() ? e.cycle_id() : (EventAgent(e).empty() ? "runtime" : EventAgent(e));
    return fmt::format("{}  {:<12} {:<11} {:<22} {}", time, who, "cycle " + e.cycle_id(), what, detail);
  }
  return fmt::format("{}  {:<12} {:<11} {}", time, e.sender(), "event", bus::BodyName(e));
}

std::string RequestToText(const std::string& gateway, const v1::RequestRecord& q) {
  char latency[32];
  std::snprintf(latency, sizeof latency, "%.1f ms", q.latency_ms());
  std::string line = FormatIsoMs(q.ts_ms()) + "  " + gateway;
  if (gateway.size() < 12) line.append(12 - gateway.size(), ' ');
  line += " " + q.method() + " " + q.path() + " " + std::to_string(q.status()) + "  " + latency;
  if (!q.task_id().empty()) line += "  task " + q.task_id();
  if (!q.user().empty()) line += "  user " + q.user();
  if (!q.api_key().empty()) line += "  key " + q.api_key();
  if (!q.error().empty()) line += "  " + q.error();
  return line;
}

nlohmann::json RequestToJson(const std::string& gateway, const v1::RequestRecord& q) {
  return {{"time", FormatIsoMs(q.ts_ms())}, {"ts_ms", q.ts_ms()},       {"kind", "http_request"},
          {"agent", gateway},               {"method", q.method()},    {"path", q.path()},
          {"status", q.status()},           {"latency_ms", q.latency_ms()}, {"task_id", q.task_id()},
          {"user", q.user()},               {"api_key", q.api_key()},  {"error", q.error()}};
}

}  // namespace kaizen::cli
