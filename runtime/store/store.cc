// Store: opening (directories, pragmas, migrations), transactions and the
// integrity check. Journal and registry calls live in store_journal.cc and
// store_registry.cc.
#include "runtime/store/store.h"

#include <filesystem>

#include <spdlog/spdlog.h>

#include "runtime/store/migrations.h"
#include "runtime/store/private_dir.h"
#include "runtime/store/store_impl.h"

namespace kaizen::store {
namespace {

bool InMemory(const std::string& path) { return path.empty() || path == ":memory:"; }

// Read-write connection settings. WAL lets CLI readers run beside the
// runtime; synchronous=NORMAL in WAL fsyncs at checkpoints, not per commit
// (a power cut may lose the last commits, never corrupt the file).
Status ConfigureWriter(Database& db) {
  if (Status s = db.Exec("PRAGMA foreign_keys = ON"); !s.ok()) return s;
  auto mode = db.QueryText("PRAGMA journal_mode = WAL");
  if (!mode.ok()) return mode.status();
  if (*mode != "wal" && !InMemory(db.path())) {
    return Status::FailedPrecondition("cannot put " + db.path() + " in WAL mode (it stays in '" + *mode +
                                      "' mode); is it on a network file system?");
  }
  // Keeps the WAL file from staying huge after a burst has been checkpointed.
  return db.Exec("PRAGMA synchronous = NORMAL; PRAGMA journal_size_limit = 67108864");
}

}  // namespace

Status Store::Impl::PrepareHotStatements() {
  auto append = db.Prepare("INSERT INTO journal(ts_ms, kind, agent, role, cycle, payload) VALUES(?1,?2,?3,?4,?5,?6)");
  if (!append.ok()) return append.status();
  append_event = std::move(append.value());
  auto upsert = db.Prepare(
      "INSERT INTO agents(id, role, state, detail, pid, restarts, model_version, updated_ms) "
      "VALUES(?1,?2,?3,?4,?5,?6,?7,?8) ON CONFLICT(id) DO UPDATE SET role = excluded.role, "
      "state = excluded.state, detail = excluded.detail, pid = excluded.pid, restarts = excluded.restarts, "
      "model_version = excluded.model_version, updated_ms = excluded.updated_ms");
  if (!upsert.ok()) return upsert.status();
  upsert_agent = std::move(upsert.value());
  return Status::OK();
}

Result<std::unique_ptr<Store::Impl>> Store::Impl::Open(const std::string& path, Mode mode) {
  const bool read_only = mode == Store::Mode::kReadOnly;
  if (Migrations().size() != static_cast<size_t>(Store::kSchemaVersion)) {
    return Status::Internal("Store::kSchemaVersion does not match the migration list");
  }
  if (read_only) {
    std::error_code ec;
    if (InMemory(path) || !std::filesystem::exists(path, ec)) {
      return Status::NotFound("no database at " + path + " (has this cluster ever been started?)");
    }
  } else if (!InMemory(path)) {
    if (Status s = CreatePrivateDirs(std::filesystem::path(path).parent_path()); !s.ok()) return s;
  }

  auto db = Database::Open(path, read_only);
  if (!db.ok()) return db.status();
  auto impl = std::make_unique<Impl>(std::move(db.value()), mode);
  if (!read_only) {
    if (Status s = ConfigureWriter(impl->db); !s.ok()) return s;
  }
  // Read-only: refuses both a newer file and one that still needs migrating.
  if (Status s = MigrateTo(impl->db, Store::kSchemaVersion); !s.ok()) return s;
  auto version = SchemaVersion(impl->db);
  if (!version.ok()) return version.status();
  impl->schema_version = *version;
  if (!read_only) {
    if (Status s = impl->PrepareHotStatements(); !s.ok()) return s;
  }
  if (!read_only && !InMemory(path)) {
    auto checkpointer = Checkpointer::Start(impl->db);
    if (checkpointer.ok()) {
      impl->checkpointer = std::move(checkpointer.value());
    } else {  // SQLite's own checkpoints stay on: slower commits now and then, nothing lost
      spdlog::warn("store: checkpoints stay on the writer's thread: {}", checkpointer.status().ToString());
    }
  }
  return impl;
}

Result<Statement*> Store::Impl::Cached(std::string_view sql) {
  auto it = cached.find(std::string(sql));
  if (it != cached.end()) return &it->second;
  auto st = db.Prepare(sql);
  if (!st.ok()) return st.status();
  return &cached.emplace(std::string(sql), std::move(st.value())).first->second;
}

Result<Statement*> Store::Impl::Once(Statement& slot, std::string_view sql) {
  if (slot.valid()) return &slot;
  auto st = db.Prepare(sql);
  if (!st.ok()) return st.status();
  slot = std::move(st.value());
  return &slot;
}

Status Store::Impl::RequireWritable(const char* what) const {
  if (mode == Mode::kReadWrite) return Status::OK();
  return Status::FailedPrecondition(std::string(what) + ": " + db.path() + " is open read-only");
}

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Store::~Store() = default;

Result<std::unique_ptr<Store>> Store::Open(const std::string& path, Mode mode) {
  auto impl = Impl::Open(path, mode);
  if (!impl.ok()) return impl.status().WithContext("opening the store");
  // The constructor is private, so make_unique cannot reach it.
  return std::unique_ptr<Store>(new Store(std::move(impl.value())));
}

int Store::schema_version() const { return impl_->schema_version; }
const std::string& Store::path() const { return impl_->db.path(); }

Status Store::Begin() {
  if (Status s = impl_->RequireWritable("Begin"); !s.ok()) return s;
  // IMMEDIATE takes the write lock now, so a busy database fails here (after
  // the busy timeout), not at the first write of the batch.
  return impl_->db.Exec("BEGIN IMMEDIATE");
}

Status Store::Commit() {
  if (Status s = impl_->RequireWritable("Commit"); !s.ok()) return s;
  return impl_->db.Exec("COMMIT");
}

Status Store::Rollback() {
  if (Status s = impl_->RequireWritable("Rollback"); !s.ok()) return s;
  if (!impl_->db.in_transaction()) return Status::OK();
  return impl_->db.Exec("ROLLBACK");
}

bool Store::in_transaction() const { return impl_->db.in_transaction(); }

Result<std::string> Store::IntegrityCheck() const {
  auto st = impl_->Cached("PRAGMA integrity_check");
  if (!st.ok()) return st.status();
  ScopedReset scope(**st);
  std::string out;
  while ((*st)->Step()) out += (out.empty() ? "" : "\n") + (*st)->Text(0);
  if (!(*st)->status().ok()) return (*st)->status();
  return out;
}

}  // namespace kaizen::store
