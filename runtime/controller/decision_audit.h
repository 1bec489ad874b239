// The audit entry of a cycle decision (runtime/audit/audit_chain.h): what a
// person reviewing the trail needs to know of one self-modification, taken
// from the Decision alone, so the entry commits in the decision's own
// transaction (Runtime::CommitDecision) and says exactly what was committed.
//
//   kind      Decision::what: trigger, plan, tool, dataset_ready, model_ready,
//             eval_report, approval, traffic, candidate_loaded, promoted,
//             rolled_back, aborted, candidate_lost, operator_promote,
//             approval_timeout, resume, initial_model, ...
//   cycle     the cycle's id ("" for the initial model)
//   actor     who decided: the agents and people on its events (an
//             approval's decided_by is the person), "operator" for
//             `kaizen promote|rollback`, else "runtime" (Kaizen itself)
//   body      stage after it and the reason of the last stage entered; its
//             transitions; the registry rows it writes (models: version,
//             status, uri, sha256, parent; datasets: id, uri, sha256, rows,
//             provenance; tools: name, spec_sha256, uri, sha256, status,
//             reason); each event's kind, agent, role and message as
//             JSON (the plan, the evaluation report, the rollout decision,
//             the approval ...). A JSON object: later checks (bounds, the
//             constitution) show up in the messages they ride on.
//             An anchor move (`kaizen anchor set`, kind "anchor") holds
//             "anchor": {version, uri, sha256}: the runtime's anchor is the
//             last such entry's (else the first model, v1).
//   artifacts every model, dataset and tool file the rows name (and the anchor's), with its sha256
//
// Not audited: "request" decisions. They only record which agent process a
// stage request went to (bookkeeping for the reconcile; re-sent after every
// restart) and change nothing Kaizen is or serves.
#pragma once

#include <cstdint>
#include <optional>

#include "runtime/audit/audit_chain.h"
#include "runtime/controller/cycle_host.h"

namespace kaizen::controller {

// The entry for `d` at `now_ms`, seq and hashes unset (Store::AppendAudit
// sets them); nullopt for a decision that is not audited (see above).
std::optional<audit::AuditEntry> AuditEntryOf(const Decision& d, int64_t now_ms);

}  // namespace kaizen::controller
