// ReplicaPicker: which replica of an arm takes the next task. The one with
// the fewest tasks in flight among those that can serve (least outstanding:
// a slow or busy replica gets less), ties taken in turn so that a lightly
// loaded arm still spreads its tasks. Which arm a user lands on is the
// TrafficPolicy's business; this only chooses inside one arm, so a user is
// sticky to an arm, not to a process. No sockets: the caller passes what
// each replica can do and holds.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace kaizen::router {

class ReplicaPicker {
 public:
  using CanServeFn = std::function<bool(const std::string& replica)>;
  using InFlightFn = std::function<std::size_t(const std::string& replica)>;

  // The replica to send to, or "" when none can serve.
  std::string Pick(const std::vector<std::string>& replicas, const CanServeFn& can_serve, const InFlightFn& in_flight);

 private:
  std::size_t turn_ = 0;  // where the search for the least loaded starts, advanced on every pick
};

}  // namespace kaizen::router
