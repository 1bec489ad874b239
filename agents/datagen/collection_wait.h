// CollectionWait: when datagen has collected enough inputs to label.
//
// A failure (a thumbs-down or a correction after the change) is worth far more
// to the teacher budget than a low-confidence answer the user rated 👍: on the
// demo, labelling only failures instead of topping up with low-confidence
// answers is worth 1.5 to 2 points after promotion at 1,000 calls. So datagen
// waits for `wanted` failures, but only while they can come in time: once
// `wanted` inputs qualify (failures or low confidence) it stops waiting when
// the failure rate seen so far would not reach `wanted` before the deadline.
// Pure (times are passed in), so it is unit-tested.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace kaizen::agents {

struct CollectionProgress {
  std::size_t wanted = 0;      // rows the plan asks for
  std::size_t failures = 0;    // candidates with a thumbs-down or a correction
  std::size_t qualifying = 0;  // failures plus low-confidence answers
  std::size_t failures_at_start = 0;  // failures at the first look
  int64_t started_ms = 0, now_ms = 0, deadline_ms = 0;
};

struct CollectionVerdict {
  bool enough = false;
  std::string why;  // for the log and the agent's state, e.g. "1000 failures"
};

// Failures are projected from their rate since started_ms; the rate needs
// kMinRateWindowMs of history to be trusted.
inline constexpr int64_t kMinRateWindowMs = 2000;

CollectionVerdict EnoughCollected(const CollectionProgress& p);

}  // namespace kaizen::agents
