// Turns a failed SQLite call into a kaizen::Status that says what SQLite
// said, which code it was, and which SQL was running.
#pragma once

#include <sqlite3.h>

#include <string>
#include <string_view>

#include "runtime/base/status.h"

namespace kaizen::store {

// `db` may be null (a failed open); then only the code's text is used.
Status SqliteStatus(sqlite3* db, int rc, std::string_view sql);

// SQL folded to one short line for messages (migrations are long).
std::string SqlForMessage(std::string_view sql);

}  // namespace kaizen::store
