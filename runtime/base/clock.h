// Wall time for records (journal, tasks) and a monotonic clock for timers.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace kaizen {

// Milliseconds since the Unix epoch; what is stored and shown to people.
int64_t WallMs();
// Milliseconds on a clock that never jumps; what timeouts and backoff use.
int64_t MonoMs();
// "2026-11-22T10:15:03.042Z" for a WallMs() value.
std::string FormatIsoMs(int64_t wall_ms);

}  // namespace kaizen
