#include "runtime/store/sqlite_status.h"

#include <string>

namespace kaizen::store {
namespace {

// Callers branch on the code: busy means "try later", corrupt means "stop".
Status::Code CodeFor(int extended_rc) {
  switch (extended_rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Status::Code::kUnavailable;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Status::Code::kCorruption;
    case SQLITE_READONLY:
      return Status::Code::kFailedPrecondition;
    case SQLITE_CONSTRAINT:
      if (extended_rc == SQLITE_CONSTRAINT_PRIMARYKEY || extended_rc == SQLITE_CONSTRAINT_UNIQUE) {
        return Status::Code::kAlreadyExists;
      }
      return Status::Code::kInvalidArgument;
    case SQLITE_TOOBIG:
    case SQLITE_RANGE:
    case SQLITE_MISMATCH:
      return Status::Code::kInvalidArgument;
    case SQLITE_ERROR:
    case SQLITE_MISUSE:
    case SQLITE_INTERNAL:
      return Status::Code::kInternal;
    default:
      return Status::Code::kIOError;
  }
}

Status Make(Status::Code code, std::string m) {
  switch (code) {
    case Status::Code::kUnavailable:
      return Status::Unavailable(std::move(m));
    case Status::Code::kCorruption:
      return Status::Corruption(std::move(m));
    case Status::Code::kFailedPrecondition:
      return Status::FailedPrecondition(std::move(m));
    case Status::Code::kAlreadyExists:
      return Status::AlreadyExists(std::move(m));
    case Status::Code::kInvalidArgument:
      return Status::InvalidArgument(std::move(m));
    case Status::Code::kInternal:
      return Status::Internal(std::move(m));
    default:
      return Status::IOError(std::move(m));
  }
}

}  // namespace

std::string SqlForMessage(std::string_view sql) {
  constexpr size_t kMax = 160;
  std::string out;
  bool space = false;
  for (char c : sql) {
    if (c == '\n' || c == '\t' || c == '\r' || c == ' ') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
    if (out.size() >= kMax) return out + "...";
  }
  return out;
}

Status SqliteStatus(sqlite3* db, int rc, std::string_view sql) {
  int extended = db ? sqlite3_extended_errcode(db) : rc;
  // The connection's last error can be stale if `rc` came from elsewhere.
  if ((extended & 0xff) != (rc & 0xff)) extended = rc;
  std::string msg = db && extended == sqlite3_extended_errcode(db) ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  msg += " (sqlite code " + std::to_string(extended) + ")";
  if (!sql.empty()) msg += " in: " + SqlForMessage(sql);
  return Make(CodeFor(extended), std::move(msg));
}

}  // namespace kaizen::store
