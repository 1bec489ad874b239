// kaizen approve|reject|promote|rollback: an operator's decisions, sent to
// the runtime as a CLI peer (with CURVE, the admin key by default).
#include <cstdio>
#include <cstdlib>

#include "runtime/cli/commands.h"
#include "runtime/cli/runtime_session.h"

namespace kaizen::cli {
namespace {

const char* Name(DecisionOptions::Kind k) {
  switch (k) {
    case DecisionOptions::Kind::kApprove: return "approve";
    case DecisionOptions::Kind::kReject: return "reject";
    case DecisionOptions::Kind::kPromote: return "promote";
    case DecisionOptions::Kind::kRollback: return "rollback";
  }
  return "?";
}

}  // namespace

int RunDecision(const DecisionOptions& o) {
  const std::string cmd = std::string("kaizen ") + Name(o.kind);
  int code = kExitOk;
  auto session = OpenDecisionSession(cmd, o.state_dir, o.key_file, o.reason, "it goes into the journal", &code);
  if (!session) return code;
  bus::Envelope req = session->NewRequest();
  switch (o.kind) {
    case DecisionOptions::Kind::kApprove:
    case DecisionOptions::Kind::kReject: {
      auto* d = req.mutable_approval_decision();
      d->set_request_id(o.id);
      d->set_approved(o.kind == DecisionOptions::Kind::kApprove);
      d->set_reason(o.reason);
      d->set_decided_by(OperatorName());
      break;
    }
    case DecisionOptions::Kind::kPromote:
    case DecisionOptions::Kind::kRollback: {
      auto* c = req.mutable_command();
      c->set_kind(o.kind == DecisionOptions::Kind::kPromote ? v1::Command::PROMOTE : v1::Command::ROLLBACK);
      c->set_argument(o.id);
      const std::string person = OperatorName();
      c->set_reason(person.empty() ? o.reason : person + ": " + o.reason);
      break;
    }
  }
  auto reply = session->Call(std::move(req));
  if (!reply.ok()) {
    std::fprintf(stderr, "%s: %s\n", cmd.c_str(), reply.status().message().c_str());
    return kExitFailure;
  }
  std::printf("%s\n", reply->has_ack() ? reply->ack().detail().c_str() : "done");
  return kExitOk;
}

}  // namespace kaizen::cli
