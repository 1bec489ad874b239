#include "runtime/store/migrations.h"

#include <string>

#include "runtime/store/schema_v1.h"
#include "runtime/store/schema_v2.h"
#include "runtime/store/schema_v3.h"
#include "runtime/store/schema_v4.h"

namespace kaizen::store {

const std::vector<Migration>& Migrations() {
  static const std::vector<Migration> list = {
      {1, "journal, agents, tasks, results, feedback, cycles, datasets, models", kSchemaV1},
      {2, "feedback idempotency keys", kSchemaV2},
      {3, "the audit trail", kSchemaV3},
      {4, "the tool repository", kSchemaV4},
  };
  return list;
}

Result<int> SchemaVersion(Database& db) {
  auto v = db.QueryInt("PRAGMA user_version");
  if (!v.ok()) return v.status().WithContext("reading the schema version of " + db.path());
  return static_cast<int>(*v);
}

Status NewerSchemaError(const std::string& path, int found, int known) {
  return Status::FailedPrecondition(path + " has schema version " + std::to_string(found) +
                                    " but this kaizen knows up to " + std::to_string(known) +
                                    "; upgrade kaizen (a newer release wrote this state dir)");
}

namespace {

// One step in one transaction. The version is re-read under the write lock
// so two processes racing to migrate cannot both apply the same step.
Status Apply(Database& db, const Migration& m) {
  if (Status s = db.Exec("BEGIN IMMEDIATE"); !s.ok()) return s;
  auto body = [&]() -> Status {
    auto now = SchemaVersion(db);
    if (!now.ok()) return now.status();
    if (*now >= m.version) return Status::OK();  // someone else got here first
    if (*now != m.version - 1) {
      return Status::Internal("expected schema version " + std::to_string(m.version - 1) + ", found " +
                              std::to_string(*now));
    }
    if (Status s = db.Exec(m.sql); !s.ok()) return s;
    // Foreign keys are off while migrating (see MigrateTo); check by hand.
    auto bad = db.QueryText("PRAGMA foreign_key_check");
    if (bad.ok()) return Status::Corruption("the migration left a dangling foreign key in table " + *bad);
    if (bad.status().code() != Status::Code::kNotFound) return bad.status();
    return db.Exec("PRAGMA user_version = " + std::to_string(m.version));
  };
  Status s = body();
  if (s.ok()) s = db.Exec("COMMIT");
  if (!s.ok()) {
    (void)db.Exec("ROLLBACK");  // the first error is the one worth reporting
    return s.WithContext("migrating " + db.path() + " to schema version " + std::to_string(m.version) + " (" +
                         std::string(m.summary) + ")");
  }
  return Status::OK();
}

}  // namespace

Status MigrateTo(Database& db, int target, const std::vector<Migration>& migrations) {
  const int known = static_cast<int>(migrations.size());
  for (int i = 0; i < known; ++i) {
    if (migrations[static_cast<size_t>(i)].version != i + 1) {
      return Status::Internal("migration list out of order at entry " + std::to_string(i + 1));
    }
  }
  if (target < 0 || target > known) {
    return Status::InvalidArgument("no migration to schema version " + std::to_string(target) +
                                   " (this kaizen knows up to " + std::to_string(known) + ")");
  }
  auto version = SchemaVersion(db);
  if (!version.ok()) return version.status();
  if (*version > known) return NewerSchemaError(db.path(), *version, known);
  if (*version >= target) return Status::OK();
  if (db.read_only()) {
    return Status::FailedPrecondition(
        db.path() + " has schema version " + std::to_string(*version) + " and needs " + std::to_string(target) +
        "; a read-only open cannot migrate it (open it read-write once: start the cluster)");
  }

  // A later migration may rebuild a table (SQLite's 12-step ALTER), which
  // must not cascade through foreign keys; the pragma only takes effect
  // outside a transaction, so it is switched here and restored after.
  auto fk = db.QueryInt("PRAGMA foreign_keys");
  if (!fk.ok()) return fk.status();
  if (*fk) {
    if (Status s = db.Exec("PRAGMA foreign_keys = OFF"); !s.ok()) return s;
  }
  Status result = Status::OK();
  for (int v = *version + 1; v <= target && result.ok(); ++v) {
    result = Apply(db, migrations[static_cast<size_t>(v - 1)]);
  }
  if (*fk) {
    Status s = db.Exec("PRAGMA foreign_keys = ON");
    if (result.ok()) result = s;
  }
  return result;
}

}  // namespace kaizen::store
