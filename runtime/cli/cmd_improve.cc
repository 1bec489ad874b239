// kaizen improve --reason R [--as NAME]: starts an improvement cycle now, as
// monitoring's triggers do (a Trigger with policy "manual"), for an operator
// who knows better than the detectors, or a cluster whose
// spec.monitoring.triggers is empty (improve only on demand). The runtime
// answers with the cycle it started, or why none started (one is running,
// the cluster is stopping, max_cycles_per_day). Datagen selects inputs from
// the whole journal: a manual trigger dates no change.
#include <cstdio>

#include "runtime/cli/commands.h"
#include "runtime/cli/runtime_session.h"

namespace kaizen::cli {

int RunImprove(const ImproveOptions& o) {
  int code = kExitOk;
  auto session = OpenDecisionSession("kaizen improve", o.state_dir, o.key_file, o.reason,
                                     "it is the cycle's trigger reason", &code);
  if (!session) return code;
  bus::Envelope req = session->NewRequest();
  auto* t = req.mutable_trigger();
  t->set_policy("manual");
  const std::string person = OperatorName(o.person);
  t->set_reason((person.empty() ? std::string("operator") : person) + ": " + o.reason);
  auto reply = session->Call(std::move(req));
  if (!reply.ok()) {
    std::fprintf(stderr, "kaizen improve: %s\n", reply.status().message().c_str());
    return kExitFailure;
  }
  std::printf("%s\n", reply->has_ack() ? reply->ack().detail().c_str() : "done");
  return kExitOk;
}

}  // namespace kaizen::cli
