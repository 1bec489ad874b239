#include "agents/datagen/collection_wait.h"

#include <algorithm>

#include <spdlog/fmt/fmt.h>

namespace kaizen::agents {

CollectionVerdict EnoughCollected(const CollectionProgress& p) {
  if (p.failures >= p.wanted) return {true, fmt::format("{} failures (wanted {})", p.failures, p.wanted)};
  if (p.now_ms >= p.deadline_ms) {
    return {true, fmt::format("collect_timeout_s passed with {} failures and {} qualifying inputs (wanted {})",
                              p.failures, p.qualifying, p.wanted)};
  }
  if (p.qualifying < p.wanted) return {false, ""};
  const int64_t elapsed = p.now_ms - p.started_ms;
  if (elapsed < kMinRateWindowMs) return {false, ""};
  const double rate = static_cast<double>(p.failures - std::min(p.failures, p.failures_at_start)) /
                      static_cast<double>(elapsed);  // per ms
  const double projected = static_cast<double>(p.failures) + rate * static_cast<double>(p.deadline_ms - p.now_ms);
  if (projected >= static_cast<double>(p.wanted)) return {false, ""};
  return {true, fmt::format("{} qualifying inputs; failures come too slowly to reach {} before collect_timeout_s "
                            "({} so far, about {:.0f} by then)",
                            p.qualifying, p.wanted, p.failures, projected)};
}

}  // namespace kaizen::agents
