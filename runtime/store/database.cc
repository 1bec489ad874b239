#include "runtime/store/database.h"

#include "runtime/store/sqlite_status.h"

namespace kaizen::store {

Result<Database> Database::Open(const std::string& path, bool read_only, int busy_timeout_ms) {
  sqlite3* raw = nullptr;
  // NOMUTEX: a connection is used by one thread at a time (the owner's).
  int flags = (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) | SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  std::unique_ptr<sqlite3, Closer> db(raw);  // owned even when the open failed
  if (rc != SQLITE_OK) return SqliteStatus(db.get(), rc, "").WithContext("cannot open " + path);
  sqlite3_extended_result_codes(db.get(), 1);
  rc = sqlite3_busy_timeout(db.get(), busy_timeout_ms);
  if (rc != SQLITE_OK) return SqliteStatus(db.get(), rc, "busy_timeout").WithContext(path);
  return Database(std::move(db), path, read_only);
}

Status Database::Exec(std::string_view sql) {
  // sqlite3_exec needs a terminated string; prepare each statement in turn
  // instead so a view works and errors name the statement that failed.
  const char* tail = sql.data();
  const char* end = sql.data() + sql.size();
  while (tail && tail < end) {
    sqlite3_stmt* raw = nullptr;
    const char* next = nullptr;
    int rc = sqlite3_prepare_v2(db_.get(), tail, static_cast<int>(end - tail), &raw, &next);
    if (rc != SQLITE_OK) return SqliteStatus(db_.get(), rc, std::string_view(tail, static_cast<size_t>(end - tail)));
    if (!raw) break;  // only whitespace or comments were left
    Statement st(db_.get(), raw);
    if (Status s = st.Run(); !s.ok()) return s;
    tail = next;
  }
  return Status::OK();
}

Result<Statement> Database::Prepare(std::string_view sql) {
  sqlite3_stmt* raw = nullptr;
  int rc =
      sqlite3_prepare_v3(db_.get(), sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(raw);
    return SqliteStatus(db_.get(), rc, sql);
  }
  if (!raw) return Status::InvalidArgument("no SQL statement in: " + SqlForMessage(sql));
  return Statement(db_.get(), raw);
}

Result<int64_t> Database::QueryInt(std::string_view sql) {
  auto st = Prepare(sql);
  if (!st.ok()) return st.status();
  if (!st->Step()) {
    if (!st->status().ok()) return st->status();
    return Status::NotFound("no row from: " + SqlForMessage(sql));
  }
  return st->Int(0);
}

Result<std::string> Database::QueryText(std::string_view sql) {
  auto st = Prepare(sql);
  if (!st.ok()) return st.status();
  if (!st->Step()) {
    if (!st->status().ok()) return st->status();
    return Status::NotFound("no row from: " + SqlForMessage(sql));
  }
  return st->Text(0);
}

}  // namespace kaizen::store
