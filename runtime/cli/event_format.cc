#include "runtime/cli/event_format.h"

#include <fmt/format.h>

#include "runtime/base/clock.h"

namespace kaizen::cli {

std::string EventAgent(const bus::Envelope& e) {
  if (e.has_state_change()) return e.state_change().agent_id();
  if (e.has_cluster_event()) return e.cluster_event().agent_id();
  return "";
}

nlohmann::json EventToJson(const bus::Envelope& e) {
  nlohmann::json j = {{"seq", e.seq()}, {"time", FormatIsoMs(e.timestamp_ms())}, {"ts_ms", e.timestamp_ms()},
                      {"kind", bus::BodyName(e)}};
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
  return fmt::format("{}  {:<12} {:<11} {}", time, e.sender(), "event", bus::BodyName(e));
}

}  // namespace kaizen::cli
