#include "runtime/router/replica_picker.h"

namespace kaizen::router {

std::string ReplicaPicker::Pick(const std::vector<std::string>& replicas, const CanServeFn& can_serve,
                                const InFlightFn& in_flight) {
  const std::size_t n = replicas.size();
  if (n == 1) return can_serve(replicas[0]) ? replicas[0] : std::string();
  const std::string* best = nullptr;
  std::size_t best_load = 0;
  for (std::size_t k = 0; k < n; ++k) {
    const std::string& r = replicas[(turn_ + k) % n];
    if (!can_serve(r)) continue;
    const std::size_t load = in_flight(r);
    if (!best || load < best_load) {
      best = &r;
      best_load = load;
    }
  }
  if (n > 0) turn_ = (turn_ + 1) % n;
  return best ? *best : std::string();
}

}  // namespace kaizen::router
