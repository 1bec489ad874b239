// Few-shot sets for the prompt trainer: which labeled examples an LLM worker's
// prompt shows. A set covers labels round-robin, one example per label per
// round, so a few shots reach as many labels as possible; labels the worker
// got wrong come first (they are what the cycle is about), then the others
// by how often they occur. Deterministic for a seed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "agents/models/example.h"

namespace kaizen::agents {

// Up to `shots` examples from `pool` (duplicate texts dropped).
std::vector<models::Example> CoverLabels(const std::vector<models::Example>& pool,
                                         const std::vector<std::string>& priority_labels, std::size_t shots,
                                         uint64_t seed);

// `current` with examples for labels it has none of (priority labels first)
// appended, up to `shots` in all; the current ones are kept in order.
std::vector<models::Example> ExtendToCover(const std::vector<models::Example>& current,
                                           const std::vector<models::Example>& pool,
                                           const std::vector<std::string>& priority_labels, std::size_t shots,
                                           uint64_t seed);

}  // namespace kaizen::agents
