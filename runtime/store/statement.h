// Statement: owns one prepared sqlite3_stmt. Binds are 1-based, like
// SQLite's. The first bind or step error sticks in status() and stops
// further steps, so call sites check once, after the loop.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "runtime/base/status.h"

namespace kaizen::store {

class Statement {
 public:
  Statement() = default;                       // empty; valid() is false
  Statement(sqlite3* db, sqlite3_stmt* stmt);  // takes ownership of stmt
  Statement(Statement&&) noexcept = default;
  Statement& operator=(Statement&&) noexcept = default;

  bool valid() const { return stmt_ != nullptr; }
  const char* sql() const;

  // Clears the previous run: bindings, status, cursor.
  Statement& Reset();

  Statement& BindInt(int i, int64_t v);
  Statement& BindDouble(int i, double v);
  Statement& BindText(int i, std::string_view v);
  Statement& BindBlob(int i, std::string_view v);
  Statement& BindNull(int i);

  // True while a row is available; false at the end or on error (status()).
  bool Step();
  // Steps to the end, then resets; returns the first error.
  Status Run();
  const Status& status() const { return status_; }

  bool IsNull(int col) const;
  int64_t Int(int col) const;
  double Double(int col) const;
  std::string Text(int col) const;  // TEXT or BLOB, byte for byte

 private:
  struct Finalizer {
    void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
  };
  void Check(int rc);

  sqlite3* db_ = nullptr;
  std::unique_ptr<sqlite3_stmt, Finalizer> stmt_;
  Status status_;
};

// Resets a statement (typically a cached one) when the scope ends, so no
// read transaction outlives the call: a reader that kept a statement open
// would pin an old WAL snapshot and block checkpoints.
class ScopedReset {
 public:
  explicit ScopedReset(Statement& s) : s_(s) { s_.Reset(); }
  ~ScopedReset() { s_.Reset(); }
  ScopedReset(const ScopedReset&) = delete;
  ScopedReset& operator=(const ScopedReset&) = delete;

 private:
  Statement& s_;
};

}  // namespace kaizen::store
