// The roles a CURVE key is admitted as (security.clients[].role), and what
// each role may not send. With CURVE on, the ZAP handler names the role of
// every connection and the broker hands it on with each message
// (Broker::Incoming::auth_role), so the runtime can refuse by role.
#pragma once

#include <string>

#include "runtime/bus/envelope_codec.h"

namespace kaizen::bus {

inline constexpr const char* kRoleAgent = "agent";        // agent processes
inline constexpr const char* kRoleFeedback = "feedback";  // people: ratings, approvals, tasks
inline constexpr const char* kRoleAdmin = "admin";        // the operator's CLI: everything

bool IsAuthRole(const std::string& role);

// Why a peer authenticated as `role` may not send `envelope`, or "" if it
// may. Only people approve plans (ApprovalDecision: feedback, admin); only
// the operator commands the cluster (Command SHUTDOWN, DRAIN, PROMOTE,
// ROLLBACK: admin); only agent keys register as one of the manifest's agents
// (a Hello with a role other than "cli" or "feedback"); only people (feedback,
// admin) attach as "feedback" and answer label requests.
std::string RoleRefusal(const std::string& role, const Envelope& envelope);

}  // namespace kaizen::bus
