// Schema version 2: idempotency keys of feedback, so a retried HTTP POST of
// the same feedback is journaled once, even across a runtime restart. Kept
// as long as the tasks they rate (pruned with them).
#pragma once

namespace kaizen::store {

inline constexpr const char* kSchemaV2 = R"sql(
CREATE TABLE feedback_keys (
  key     TEXT PRIMARY KEY,
  task_id TEXT NOT NULL,
  ts_ms   INTEGER NOT NULL
);
CREATE INDEX feedback_keys_ts ON feedback_keys(ts_ms);
)sql";

}  // namespace kaizen::store
