// kaizen anchor set VERSION --reason R [--as NAME] | show: the drift anchor
// (spec.planning.bounds.max_drift_from_anchor, docs/safety.md).
//   set   sends SET_ANCHOR to the running runtime (an admin key with CURVE),
//         which records the move as an audited decision; prints its answer.
//   show  reads the store read-only (cluster up or down): the anchor now and
//         every move of it, from the audit trail.
#include <cstdio>

#include "runtime/base/clock.h"
#include "runtime/cli/commands.h"
#include "runtime/cli/runtime_session.h"
#include "runtime/cli/stored_cluster.h"

namespace kaizen::cli {
namespace {

int AnchorSet(const AnchorOptions& o) {
  int code = kExitOk;
  auto session = OpenDecisionSession("kaizen anchor set", o.state_dir, o.key_file, o.reason, "it goes into the audit trail", &code);
  if (!session) return code;
  bus::Envelope req = session->NewRequest();
  auto* c = req.mutable_command();
  c->set_kind(v1::Command::SET_ANCHOR);
  c->set_argument(o.version);
  c->set_reason(o.reason);
  c->set_decided_by(OperatorName(o.person));
  auto reply = session->Call(std::move(req));
  if (!reply.ok()) {
    std::fprintf(stderr, "kaizen anchor set: %s\n", reply.status().message().c_str());
    return kExitFailure;
  }
  std::printf("%s\n", reply->has_ack() ? reply->ack().detail().c_str() : "done");
  return kExitOk;
}

int AnchorShow(const AnchorOptions& o) {
  int code = kExitOk;
  auto cluster = OpenStoredCluster("anchor show", o.state_dir, &code);
  if (!cluster) return code;
  auto entries = cluster->store->ReadAudit();
  if (!entries.ok()) {
    std::fprintf(stderr, "kaizen anchor show: %s\n", entries.status().message().c_str());
    return kExitFailure;
  }
  std::vector<const audit::AuditEntry*> moves;
  for (const auto& e : *entries) {
    if (e.kind == "anchor" && e.body.contains("anchor")) moves.push_back(&e);
  }
  if (moves.empty()) {
    auto first = cluster->store->GetModel("v1");
    if (!first.ok()) {
      std::fprintf(stderr, "kaizen anchor show: %s\n", first.status().message().c_str());
      return kExitFailure;
    }
    if (!*first) {
      std::printf("anchor: none yet (no model is registered)\n");
    } else {
      std::printf("anchor: v1 (the first model; never moved) sha256 %s\n", (*first)->sha256.substr(0, 12).c_str());
    }
    return kExitOk;
  }
  const auto& now = moves.back()->body["anchor"];
  std::printf("anchor: %s sha256 %s (set %s by %s)\n", now.value("version", "?").c_str(),
              now.value("sha256", "").substr(0, 12).c_str(), FormatIsoMs(moves.back()->ts_ms).c_str(),
              moves.back()->actor.c_str());
  for (const auto* e : moves) {
    std::string reason;
    if (e->body.contains("events") && e->body["events"].is_array() && !e->body["events"].empty()) {
      reason = e->body["events"][0].value("message", nlohmann::json::object()).value("detail", "");
    }
    std::printf("  #%llu %s %s\n", static_cast<unsigned long long>(e->seq), FormatIsoMs(e->ts_ms).c_str(),
                reason.c_str());
  }
  return kExitOk;
}

}  // namespace

int RunAnchor(const AnchorOptions& o) {
  return o.action == AnchorOptions::Action::kSet ? AnchorSet(o) : AnchorShow(o);
}

}  // namespace kaizen::cli
