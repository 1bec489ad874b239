// Database: owns one sqlite3 connection. Every failure comes back as a
// Status carrying SQLite's message and the SQL that failed.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "runtime/base/result.h"
#include "runtime/store/statement.h"

namespace kaizen::store {

class Database {
 public:
  static constexpr int kBusyTimeoutMs = 5000;

  // Opens `path`; read-write creates the file if missing. The busy timeout
  // is set so that a brief lock held by another connection waits, not fails.
  static Result<Database> Open(const std::string& path, bool read_only, int busy_timeout_ms = kBusyTimeoutMs);

  Database(Database&&) noexcept = default;
  Database& operator=(Database&&) noexcept = default;

  // Runs one or more statements; rows, if any, are ignored.
  Status Exec(std::string_view sql);
  Result<Statement> Prepare(std::string_view sql);
  // First column of the first row.
  Result<int64_t> QueryInt(std::string_view sql);
  Result<std::string> QueryText(std::string_view sql);

  bool read_only() const { return read_only_; }
  bool in_transaction() const { return sqlite3_get_autocommit(db_.get()) == 0; }
  int64_t last_insert_rowid() const { return sqlite3_last_insert_rowid(db_.get()); }
  int64_t changes() const { return sqlite3_changes64(db_.get()); }  // rows the last statement changed
  const std::string& path() const { return path_; }
  sqlite3* handle() const { return db_.get(); }

 private:
  struct Closer {
    // close_v2 defers the close until statements still alive are finalized.
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
  };
  Database(std::unique_ptr<sqlite3, Closer> db, std::string path, bool read_only)
      : db_(std::move(db)), path_(std::move(path)), read_only_(read_only) {}

  std::unique_ptr<sqlite3, Closer> db_;
  std::string path_;
  bool read_only_ = false;
};

}  // namespace kaizen::store
