// The router's own cost, in one thread and no sockets: a task through
// TaskRouter::Submit (TrafficPolicy picks the arm, the send hands it to the
// worker function) and TaskRouter::OnAnswer, against the worker function
// called directly.
#pragma once

#include <vector>

namespace kaizen::bench {

struct InProcess {
  double routed_per_s = 0, direct_per_s = 0;
  std::vector<double> routed_ns, direct_ns;  // per task
};

InProcess MeasureRouterInProcess(int tasks, int users, double candidate_weight);

}  // namespace kaizen::bench
