#include "runtime/controller/decision_audit.h"

#include <set>
#include <string>

#include <google/protobuf/util/json_util.h>

#include "runtime/controller/cycle_controller.h"

namespace kaizen::controller {
namespace {

using json = nlohmann::json;

// The message an envelope carries (its body oneof), as JSON; null when it
// carries none or does not convert.
json AuditMessageJson(const bus::Envelope& e) {
  const auto* field = bus::Envelope::descriptor()->FindFieldByNumber(e.body_case());
  if (field == nullptr || field->message_type() == nullptr) return nullptr;
  const google::protobuf::Message& body = e.GetReflection()->GetMessage(e, field);
  std::string out;
  google::protobuf::util::JsonPrintOptions o;
  o.preserve_proto_field_names = true;
  if (!google::protobuf::util::MessageToJsonString(body, &out, o).ok()) return nullptr;
  return json::parse(out, nullptr, false);
}

json AuditModelJson(const store::ModelRow& m) {
  return {{"version", m.version}, {"status", store::ModelStatusName(m.status)},
          {"uri", m.uri},         {"sha256", m.sha256},
          {"parent", m.parent}};
}

json AuditDatasetJson(const store::DatasetRow& d) {
  json provenance = json::parse(d.provenance_json, nullptr, false);
  if (provenance.is_discarded()) provenance = d.provenance_json;  // kept as the text it is
  return {{"id", d.id}, {"uri", d.uri}, {"sha256", d.sha256}, {"rows", d.rows}, {"provenance", provenance}};
}

// Who decided: the person of an approval, else the agent an event is from.
std::string AuditActorOf(const Decision& d) {
  std::vector<std::string> actors;
  std::set<std::string> seen;
  auto add = [&](const std::string& who) {
    if (!who.empty() && who != kRuntimeSender && seen.insert(who).second) actors.push_back(who);
  };
  for (const Event& e : d.events) {
    if (e.envelope.body_case() == bus::Envelope::kApprovalDecision) {
      add(e.envelope.approval_decision().decided_by().empty() ? e.agent
                                                               : e.envelope.approval_decision().decided_by());
    } else {
      add(e.agent);
    }
  }
  if (actors.empty()) return d.what.rfind("operator_", 0) == 0 ? "operator" : "runtime";
  std::string out;
  for (const auto& a : actors) out += (out.empty() ? "" : ", ") + a;
  return out;
}

}  // namespace

std::optional<audit::AuditEntry> AuditEntryOf(const Decision& d, int64_t now_ms) {
  if (d.what == "request") return std::nullopt;  // bookkeeping: see the header
  audit::AuditEntry entry;
  entry.ts_ms = now_ms;
  entry.kind = d.what;
  entry.actor = AuditActorOf(d);
  json body = json::object();
  if (d.cycle) {
    const cycle::CycleRecord& c = *d.cycle;
    entry.cycle = c.id;
    body["stage"] = cycle::StageName(c.stage);
    body["attempt"] = c.attempt;
    body["incumbent"] = c.incumbent.version;
    body["candidate"] = c.candidate.version;
    if (!c.phase.empty()) body["phase"] = c.phase;
    if (c.finished()) body["outcome_reason"] = c.outcome_reason;
  }
  json transitions = json::array();
  json events = json::array();
  for (const Event& e : d.events) {
    if (e.envelope.body_case() == bus::Envelope::kCycleTransition) {
      const v1::CycleTransition& t = e.envelope.cycle_transition();
      transitions.push_back(
          {{"from", cycle::StageName(t.from())}, {"to", cycle::StageName(t.to())}, {"reason", t.reason()}});
      body["reason"] = t.reason();  // the last stage entered's
      continue;
    }
    events.push_back(
        {{"kind", e.kind}, {"agent", e.agent}, {"role", e.role}, {"message", AuditMessageJson(e.envelope)}});
  }
  if (!transitions.empty()) body["transitions"] = transitions;
  if (!events.empty()) body["events"] = events;
  if (!d.models.empty()) {
    json models = json::array();
    for (const auto& m : d.models) {
      models.push_back(AuditModelJson(m));
      if (!m.uri.empty()) entry.artifacts.push_back({m.uri, m.sha256});
    }
    body["models"] = models;
  }
  if (!d.datasets.empty()) {
    json datasets = json::array();
    for (const auto& ds : d.datasets) {
      datasets.push_back(AuditDatasetJson(ds));
      if (!ds.uri.empty()) entry.artifacts.push_back({ds.uri, ds.sha256});
    }
    body["datasets"] = datasets;
  }
  if (!d.tools.empty()) {
    json tools = json::array();
    for (const auto& t : d.tools) {
      tools.push_back({{"name", t.name},
                       {"spec_sha256", t.spec_sha256},
                       {"uri", t.uri},
                       {"sha256", t.sha256},
                       {"status", t.status},
                       {"reason", t.reason}});
      entry.artifacts.push_back({t.uri, t.sha256});
    }
    body["tools"] = tools;
  }
  if (d.anchor) {
    // The runtime reads the anchor back from this entry at start (Runtime::LoadAnchor).
    body["anchor"] = d.anchor->ToJson();
    if (!d.anchor->uri.empty()) entry.artifacts.push_back({d.anchor->uri, d.anchor->sha256});
  }
  entry.body = std::move(body);
  return entry;
}

}  // namespace kaizen::controller
