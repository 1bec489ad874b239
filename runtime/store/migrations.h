// The schema as an ordered list of migrations. Migration N takes a database
// from PRAGMA user_version N-1 to N in one transaction. A schema change is
// one more entry at the end of the list (and Store::kSchemaVersion + 1);
// entries already released are never edited.
#pragma once

#include <string_view>
#include <vector>

#include "runtime/store/database.h"

namespace kaizen::store {

struct Migration {
  int version;               // the user_version it leaves behind: its index + 1
  std::string_view summary;  // for error messages
  std::string_view sql;      // one or more statements, no BEGIN/COMMIT
};

// This binary's migrations; size() == Store::kSchemaVersion.
const std::vector<Migration>& Migrations();

// PRAGMA user_version, or an error (e.g. the file is not a database).
Result<int> SchemaVersion(Database& db);

// Migrates `db` up to `target` with `migrations` (tests pass their own list
// to rehearse a future version). A database already at or past `target` is
// left alone, except one newer than every migration in the list: that is
// refused with FailedPrecondition, since this binary cannot read it safely.
Status MigrateTo(Database& db, int target, const std::vector<Migration>& migrations = Migrations());

// The refusal text, shared with read-only opens: "<file> has schema version
// 7 but this kaizen knows up to 1; upgrade kaizen ...".
Status NewerSchemaError(const std::string& path, int found, int known);

}  // namespace kaizen::store
