#include "runtime/store/statement.h"

#include "runtime/store/sqlite_status.h"

namespace kaizen::store {
namespace {
// SQLite binds a null pointer as SQL NULL; an empty view must stay "".
const char* NonNull(std::string_view v) { return v.data() ? v.data() : ""; }
}  // namespace

Statement::Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}

const char* Statement::sql() const { return stmt_ ? sqlite3_sql(stmt_.get()) : ""; }

void Statement::Check(int rc) {
  if (rc != SQLITE_OK && status_.ok()) status_ = SqliteStatus(db_, rc, sql());
}

Statement& Statement::Reset() {
  status_ = Status::OK();
  if (!stmt_) return *this;
  sqlite3_reset(stmt_.get());  // its return repeats the last step's error, already reported
  sqlite3_clear_bindings(stmt_.get());
  return *this;
}

Statement& Statement::BindInt(int i, int64_t v) {
  Check(sqlite3_bind_int64(stmt_.get(), i, v));
  return *this;
}

Statement& Statement::BindDouble(int i, double v) {
  Check(sqlite3_bind_double(stmt_.get(), i, v));
  return *this;
}

Statement& Statement::BindText(int i, std::string_view v) {
  Check(sqlite3_bind_text64(stmt_.get(), i, NonNull(v), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
  return *this;
}

Statement& Statement::BindBlob(int i, std::string_view v) {
  Check(sqlite3_bind_blob64(stmt_.get(), i, NonNull(v), v.size(), SQLITE_TRANSIENT));
  return *this;
}

Statement& Statement::BindNull(int i) {
  Check(sqlite3_bind_null(stmt_.get(), i));
  return *this;
}

bool Statement::Step() {
  if (!status_.ok()) return false;
  if (!stmt_) {
    status_ = Status::Internal("step on an empty statement");
    return false;
  }
  int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc != SQLITE_DONE) status_ = SqliteStatus(db_, rc, sql());
  return false;
}

Status Statement::Run() {
  while (Step()) {
  }
  Status s = status_;
  Reset();
  return s;
}

bool Statement::IsNull(int col) const { return sqlite3_column_type(stmt_.get(), col) == SQLITE_NULL; }
int64_t Statement::Int(int col) const { return sqlite3_column_int64(stmt_.get(), col); }
double Statement::Double(int col) const { return sqlite3_column_double(stmt_.get(), col); }

std::string Statement::Text(int col) const {
  // Blob first, then bytes: the documented order that avoids a conversion.
  const void* p = sqlite3_column_blob(stmt_.get(), col);
  int n = sqlite3_column_bytes(stmt_.get(), col);
  return p ? std::string(static_cast<const char*>(p), static_cast<size_t>(n)) : std::string();
}

}  // namespace kaizen::store
