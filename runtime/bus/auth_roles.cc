#include "runtime/bus/auth_roles.h"

namespace kaizen::bus {

bool IsAuthRole(const std::string& role) { return role == kRoleAgent || role == kRoleFeedback || role == kRoleAdmin; }

std::string RoleRefusal(const std::string& role, const Envelope& envelope) {
  switch (envelope.body_case()) {
    case Envelope::kApprovalDecision:
      if (role == kRoleAgent || !IsAuthRole(role)) return "a plan approval needs a feedback or admin key, not " + role;
      return "";
    case Envelope::kCommand:
      switch (envelope.command().kind()) {
        case v1::Command::SHUTDOWN:
        case v1::Command::DRAIN:
        case v1::Command::PROMOTE:
        case v1::Command::ROLLBACK:
          if (role != kRoleAdmin) {
            return "command " + v1::Command::Kind_Name(envelope.command().kind()) + " needs an admin key, not " + role;
          }
          return "";
        default:
          // RELOAD_MODEL, IMPROVE, SERVE go from the runtime to a worker;
          // a peer sending them anywhere is acting as the runtime.
          return "command " + v1::Command::Kind_Name(envelope.command().kind()) + " is only sent by the runtime";
      }
    case Envelope::kLabelAnswer:
      if (role == kRoleAgent || !IsAuthRole(role)) return "a label answer needs a feedback or admin key, not " + role;
      return "";
    case Envelope::kHello:
      if (envelope.hello().role() == "feedback") {
        if (role == kRoleAgent || !IsAuthRole(role)) {
          return "attaching as a person (feedback) needs a feedback or admin key, not " + role;
        }
        return "";
      }
      if (envelope.hello().role() != "cli" && role != kRoleAgent) {
        return "registering as agent role '" + envelope.hello().role() + "' needs an agent key, not " + role;
      }
      return "";
    default:
      return "";
  }
}

}  // namespace kaizen::bus
