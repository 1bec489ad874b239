#include "runtime/bus/auth_roles.h"

#include <algorithm>

namespace kaizen::bus {
namespace {

using Roles = std::vector<std::string>;
const Roles kAny = {kRoleAgent, kRoleFeedback, kRoleAdmin};
const Roles kAgents = {kRoleAgent, kRoleAdmin};
const Roles kPeople = {kRoleFeedback, kRoleAdmin};
const Roles kAdmin = {kRoleAdmin};
const Roles kRuntimeOnly = {};

// One row per body: who may send it. A body missing here is refused (the
// runtime only), so a new message type is closed until a row opens it.
const Roles& RowFor(Envelope::BodyCase body, v1::Command::Kind command) {
  switch (body) {
    case Envelope::kHello:  // further checked by the role it registers as
    case Envelope::kHeartbeat:
    case Envelope::kStateChange:  // the runtime checks it is the sender's own
    case Envelope::kAck:
    case Envelope::kError:
    case Envelope::kStatusRequest:
    case Envelope::kReplayRequest:
      return kAny;
    case Envelope::kTask:
    case Envelope::kFeedback:
      return kAny;
    case Envelope::kApprovalDecision:
    case Envelope::kLabelAnswer:
      return kPeople;
    case Envelope::kTaskResult:
    case Envelope::kTrigger:  // a feedback key could start a cycle and buy labels
    case Envelope::kPlan:
    case Envelope::kDatasetReady:
    case Envelope::kTrainProgress:
    case Envelope::kModelReady:
    case Envelope::kEvalReport:
    case Envelope::kRolloutDecision:
    case Envelope::kTrafficSplit:  // a feedback key could move the A/B split
    case Envelope::kScenarioReport:  // a feedback key could end a foreground `kaizen up`
    case Envelope::kLabelRequest:
    case Envelope::kRequestClosed:
    case Envelope::kMetricsReport:
      return kAgents;
    case Envelope::kCommand:
      switch (command) {
        case v1::Command::SHUTDOWN:
        case v1::Command::DRAIN:
        case v1::Command::PROMOTE:
        case v1::Command::ROLLBACK:
        case v1::Command::SET_ANCHOR:
          return kAdmin;
        default:  // RELOAD_MODEL, IMPROVE, SERVE: the runtime to a worker
          return kRuntimeOnly;
      }
    default:  // Welcome, stage requests, ApprovalRequest, events, replies of the runtime
      return kRuntimeOnly;
  }
}

std::string What(const Envelope& e) {
  if (e.body_case() == Envelope::kCommand) return "command " + v1::Command::Kind_Name(e.command().kind());
  return BodyName(e);
}

std::string Needs(const Roles& roles) {
  std::string out;
  for (const auto& r : roles) {
    if (r != kRoleAdmin) out += (out.empty() ? "" : " or ") + r;
  }
  return out.empty() ? std::string(kRoleAdmin) : out + " or " + kRoleAdmin;  // admin may send anything
}

}  // namespace

CycleScope CycleScopeOf(Envelope::BodyCase body) {
  switch (body) {
    case Envelope::kPlan:
    case Envelope::kDatasetReady:
    case Envelope::kTrainProgress:
    case Envelope::kEvalReport:
    case Envelope::kRolloutDecision:
    case Envelope::kTrafficSplit:
      return CycleScope::kRunningCycle;
    case Envelope::kModelReady:
      return CycleScope::kRunningCycleIfSet;
    default:
      return CycleScope::kAny;
  }
}

std::string CycleRefusal(const Envelope& e, const std::string& running_cycle) {
  const CycleScope scope = CycleScopeOf(e.body_case());
  if (scope == CycleScope::kAny) return "";
  if (scope == CycleScope::kRunningCycleIfSet && e.cycle_id().empty()) return "";
  if (!running_cycle.empty() && e.cycle_id() == running_cycle) return "";
  return BodyName(e) + " for cycle '" + e.cycle_id() + "' is not for the running cycle (" +
         (running_cycle.empty() ? std::string("none runs") : running_cycle) + ")";
}

bool IsAuthRole(const std::string& role) { return role == kRoleAgent || role == kRoleFeedback || role == kRoleAdmin; }

std::vector<std::string> RolesAllowed(Envelope::BodyCase body, v1::Command::Kind command) {
  return RowFor(body, command);
}

std::string RoleRefusal(const std::string& role, const Envelope& envelope) {
  const Roles& allowed = RowFor(envelope.body_case(), envelope.has_command() ? envelope.command().kind()
                                                                           : v1::Command::KIND_UNSPECIFIED);
  if (allowed.empty()) return What(envelope) + " is only sent by the runtime";
  if (std::find(allowed.begin(), allowed.end(), role) == allowed.end()) {
    return What(envelope) + " needs a" + (Needs(allowed)[0] == 'a' ? "n " : " ") + Needs(allowed) + " key, not " +
           (role.empty() ? std::string("an unlisted one") : role);
  }
  if (envelope.body_case() == Envelope::kHello) {
    const std::string& as = envelope.hello().role();
    if (as == "feedback" && role == kRoleAgent) {
      return "attaching as a person (feedback) needs a feedback or admin key, not " + role;
    }
    if (as != "cli" && as != "feedback" && role != kRoleAgent) {
      return "registering as agent role '" + as + "' needs an agent key, not " + role;
    }
  }
  return "";
}

}  // namespace kaizen::bus
