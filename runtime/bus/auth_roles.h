// The roles a CURVE key is admitted as (security.clients[].role), and the one
// table of what each role may send. With CURVE on, the ZAP handler names the
// role of every connection and the broker hands it on with each message
// (Broker::Incoming::auth_role); the runtime checks every message against the
// table before it dispatches or forwards it, whoever it is addressed to.
//
// The table (auth_roles.cc, one row per Envelope body):
//   agent     agent processes: their stage replies, tasks and results, the
//             trigger, the traffic split, the scenario report, metrics;
//   feedback  people: ratings, tasks, approvals, label answers;
//   admin     the operator: everything a peer may send, and the cluster
//             commands (SHUTDOWN, DRAIN, PROMOTE, ROLLBACK, SET_ANCHOR);
//   any peer: Hello (by the role it registers as, below), heartbeats, state
//             changes, status and replay requests, Ack, Error.
// What only the runtime sends (stage requests, Welcome, events, replies of
// its own, worker commands) is refused from every peer: a peer sending it is
// acting as the runtime.
//
// The table's second column: whether a message must belong to the running
// cycle (its envelope's cycle_id). The stage replies and the traffic split
// do; one for another cycle (an earlier one, or one a restart ended) is
// dropped before dispatch, and a request among them is answered with why.
#pragma once

#include <string>
#include <vector>

#include "runtime/bus/envelope_codec.h"

namespace kaizen::bus {

inline constexpr const char* kRoleAgent = "agent";        // agent processes
inline constexpr const char* kRoleFeedback = "feedback";  // people: ratings, approvals, tasks
inline constexpr const char* kRoleAdmin = "admin";        // the operator's CLI: everything

bool IsAuthRole(const std::string& role);

// Why a peer authenticated as `role` may not send `envelope`, or "" if it
// may. A role that is not one of the three may send nothing. A Hello
// registering as one of the manifest's agents needs an agent key; attaching
// as a person ("feedback") needs a feedback or admin key; "cli" any key.
std::string RoleRefusal(const std::string& role, const Envelope& envelope);

enum class CycleScope {
  kAny,               // not about a cycle, or checked by its handler (approvals name their cycle)
  kRunningCycle,      // must name the running cycle
  kRunningCycleIfSet  // a model: a candidate names the running cycle; the initial model names none
};
CycleScope CycleScopeOf(Envelope::BodyCase body);

// Why `envelope` may not be dispatched while `running_cycle` runs ("" when
// none does), or "" if it may.
std::string CycleRefusal(const Envelope& envelope, const std::string& running_cycle);

// The roles that may send a message with this body (commands: of this kind),
// for docs and tests; empty: only the runtime sends it.
std::vector<std::string> RolesAllowed(Envelope::BodyCase body, v1::Command::Kind command = v1::Command::KIND_UNSPECIFIED);

}  // namespace kaizen::bus
