// Schema version 3: the audit trail (runtime/audit/audit_chain.h), one row
// per self-modification decision, written in the decision's transaction.
// Append-only: the triggers refuse every UPDATE and DELETE, so no code path
// of Kaizen can change or drop an entry (someone with the file can drop the
// triggers; the hash chain then shows what they changed).
#pragma once

namespace kaizen::store {

inline constexpr const char* kSchemaV3 = R"sql(
CREATE TABLE audit (
  seq       INTEGER PRIMARY KEY,
  ts_ms     INTEGER NOT NULL,
  cycle     TEXT NOT NULL,
  kind      TEXT NOT NULL,
  actor     TEXT NOT NULL,
  body      TEXT NOT NULL,
  artifacts TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash      TEXT NOT NULL
);
CREATE INDEX audit_cycle ON audit(cycle);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN
  SELECT RAISE(ABORT, 'the audit trail is append-only: an entry is never updated');
END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN
  SELECT RAISE(ABORT, 'the audit trail is append-only: an entry is never deleted');
END;
)sql";

}  // namespace kaizen::store
