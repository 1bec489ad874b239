// Random identifiers for messages, tasks and cycles.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kaizen {

// 16 lowercase hex characters from a per-thread random engine.
std::string NewId();
// A readable id with a prefix, e.g. NewId("cyc") -> "cyc-3f9a1c20d4e5b6a7".
std::string NewId(const std::string& prefix);

// A task id Kaizen issues (the gateway, when a request has no
// Idempotency-Key): "kz-" + 12 hex digits of the wall-clock ms + "-" + NewId().
// The time in it lets the runtime tell a task it forgot (pruned: 410 Gone)
// from one it never saw (404).
std::string NewTaskId(int64_t wall_ms);
// The issue time of an id NewTaskId made; nullopt for any other id.
std::optional<int64_t> TaskIdIssuedMs(std::string_view id);

}  // namespace kaizen
