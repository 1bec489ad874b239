// Runtime: commits one decision of the cycle (controller::Decision) in one
// transaction: its cycle row, registry rows, journal events and audit entry
// (controller/decision_audit.h), or none of them (Journal::BeginDecision).
// A crash before the commit loses the whole decision; one after it keeps all
// of it, and the controller's reconcile after `kaizen up` sends what the
// decision would have sent.
#include <spdlog/spdlog.h>

#include "runtime/base/clock.h"
#include "runtime/base/crash_point.h"
#include "runtime/controller/decision_audit.h"
#include "runtime/core/runtime.h"

namespace kaizen::core {

Status Runtime::CommitDecision(const controller::Decision& d) {
  Status failed = journal_->BeginDecision();
  if (!failed.ok()) failed = failed.WithContext("opening its transaction");
  auto write = [&](const std::function<Status()>& w, const std::string& what) {
    if (!failed.ok()) return;  // its transaction is lost already: nothing more is written
    if (Status s = w(); !s.ok()) failed = s.WithContext(what);
  };
  for (const auto& m : d.models) {
    write([&] { return store_->PutModel(m); }, "model " + m.version + " as " + store::ModelStatusName(m.status));
  }
  for (const auto& ds : d.datasets) write([&] { return store_->PutDataset(ds); }, "the dataset " + ds.id.substr(0, 12));
  for (const auto& t : d.tools) {
    write([&] { return store_->AddTool(t).status(); }, "the tool " + t.name + " (" + t.spec_sha256.substr(0, 12) + ")");
  }
  if (d.cycle) {
    store::CycleRow row;
    row.id = d.cycle->id;
    row.stage = cycle::StageName(d.cycle->stage);
    row.state_json = d.cycle->ToJson().dump();
    row.created_ms = d.cycle->created_ms;
    row.updated_ms = WallMs();
    write([&] { return store_->PutCycle(row); }, "the row of cycle " + row.id);
  }
  for (const auto& e : d.events) {
    bus::Envelope event = e.envelope;
    write([&] { return journal_->Record(e.kind, e.agent, e.role, &event); }, "its '" + e.kind + "' event");
  }
  // The audit entry last, with the rest: a decision is never kept without
  // its entry, nor an entry without its decision.
  if (auto entry = controller::AuditEntryOf(d, WallMs())) {
    write([&] { return store_->AppendAudit(&*entry); }, "its audit entry");
  }
  if (failed.ok()) CrashPoint(d.what + ":written");
  Status ended = journal_->EndDecision(failed.ok());
  if (failed.ok() && !ended.ok()) failed = ended.WithContext("committing it");
  if (failed.ok()) CrashPoint(d.what + ":committed");
  return failed;
}

}  // namespace kaizen::core
