// Store: the audit table (schema v3): appends chain inside the caller's
// transaction, reads back as written, and refuses UPDATE and DELETE.
#include <catch2/catch.hpp>

#include <string>

#include "runtime/store/database.h"
#include "runtime/store/migrations.h"
#include "runtime/store/store.h"
#include "tests/support/temp_dir.h"

using kaizen::audit::AuditEntry;
using kaizen::store::Store;

namespace {

std::unique_ptr<Store> AuditStoreOpen(const std::string& path, Store::Mode mode = Store::Mode::kReadWrite) {
  auto s = Store::Open(path, mode);
  INFO(s.status().ToString());
  REQUIRE(s.ok());
  return std::move(s.value());
}

AuditEntry AuditStoreEntry(const std::string& cycle, const std::string& kind, int64_t ts) {
  AuditEntry e;
  e.ts_ms = ts;
  e.cycle = cycle;
  e.kind = kind;
  e.actor = "runtime";
  e.body = {{"reason", kind + " at " + std::to_string(ts)}, {"n", ts}};
  return e;
}

// Appends `e` in its own transaction (as a decision does).
void AuditStoreAppend(Store& store, AuditEntry e) {
  REQUIRE(store.Begin().ok());
  kaizen::Status s = store.AppendAudit(&e);
  INFO(s.ToString());
  REQUIRE(s.ok());
  REQUIRE(store.Commit().ok());
}

kaizen::audit::VerifyReport AuditStoreVerify(const Store& store) {
  auto all = store.ReadAudit();
  INFO(all.status().ToString());
  REQUIRE(all.ok());
  return kaizen::audit::VerifyChain(*all, [](const std::string& uri) -> kaizen::Result<std::string> {
    return kaizen::Status::NotFound(uri);
  });
}

}  // namespace

TEST_CASE("store audit: entries chain in order, read back as written, and filter by cycle", "[store][audit]") {
  auto store = AuditStoreOpen(":memory:");
  AuditStoreAppend(*store, AuditStoreEntry("", "initial_model", 1));
  AuditStoreAppend(*store, AuditStoreEntry("c1", "trigger", 2));
  AuditStoreAppend(*store, AuditStoreEntry("c1", "plan", 3));
  AuditStoreAppend(*store, AuditStoreEntry("c2", "trigger", 4));
  auto all = store->ReadAudit();
  REQUIRE(all.ok());
  REQUIRE(all->size() == 4);
  CHECK((*all)[0].seq == 1);
  CHECK((*all)[0].prev_hash == kaizen::audit::kGenesisPrevHash);
  CHECK((*all)[2].kind == "plan");
  CHECK((*all)[2].body["reason"] == "plan at 3");
  CHECK((*all)[3].prev_hash == (*all)[2].hash);
  for (const auto& e : *all) CHECK(e.unreadable.empty());
  auto r = AuditStoreVerify(*store);
  CHECK(r.intact());
  CHECK(r.entries == 4);
  auto c1 = store->ReadAudit("c1");
  REQUIRE(c1.ok());
  REQUIRE(c1->size() == 2);
  CHECK((*c1)[0].seq == 2);
  CHECK((*c1)[1].seq == 3);
}

TEST_CASE("store audit: an entry is written only inside a transaction, and a rollback takes it back",
          "[store][audit]") {
  auto store = AuditStoreOpen(":memory:");
  AuditEntry loose = AuditStoreEntry("c1", "trigger", 1);
  kaizen::Status s = store->AppendAudit(&loose);
  CHECK(s.code() == kaizen::Status::Code::kFailedPrecondition);
  AuditStoreAppend(*store, AuditStoreEntry("c1", "trigger", 1));
  REQUIRE(store->Begin().ok());
  AuditEntry lost = AuditStoreEntry("c1", "plan", 2);
  REQUIRE(store->AppendAudit(&lost).ok());
  CHECK(lost.seq == 2);
  REQUIRE(store->Rollback().ok());
  AuditStoreAppend(*store, AuditStoreEntry("c1", "plan", 3));
  auto all = store->ReadAudit();
  REQUIRE(all.ok());
  REQUIRE(all->size() == 2);
  CHECK((*all)[1].seq == 2);
  CHECK((*all)[1].ts_ms == 3);
  CHECK(AuditStoreVerify(*store).intact());
}

TEST_CASE("store audit: UPDATE and DELETE of an entry are refused, and a reopened store chains on", "[store][audit]") {
  kaizen::testing::TempDir dir;
  const std::string path = (dir.path() / "state.db").string();
  {
    auto store = AuditStoreOpen(path);
    AuditStoreAppend(*store, AuditStoreEntry("c1", "trigger", 1));
  }
  {
    auto store = AuditStoreOpen(path);
    AuditStoreAppend(*store, AuditStoreEntry("c1", "plan", 2));
    auto raw = kaizen::store::Database::Open(path, /*read_only=*/false);
    REQUIRE(raw.ok());
    kaizen::Status up = raw->Exec("UPDATE audit SET body = '{}' WHERE seq = 1");
    CHECK_FALSE(up.ok());
    CHECK(up.message().find("append-only") != std::string::npos);
    kaizen::Status del = raw->Exec("DELETE FROM audit");
    CHECK_FALSE(del.ok());
    CHECK(del.message().find("append-only") != std::string::npos);
  }
  auto reader = AuditStoreOpen(path, Store::Mode::kReadOnly);
  auto all = reader->ReadAudit();
  REQUIRE(all.ok());
  REQUIRE(all->size() == 2);
  CHECK((*all)[1].prev_hash == (*all)[0].hash);
  CHECK(AuditStoreVerify(*reader).intact());
}

TEST_CASE("store audit: a row edited behind Kaizen's back is found at that entry", "[store][audit]") {
  kaizen::testing::TempDir dir;
  const std::string path = (dir.path() / "state.db").string();
  auto store = AuditStoreOpen(path);
  for (int i = 1; i <= 5; ++i) AuditStoreAppend(*store, AuditStoreEntry("c1", "plan", i));
  auto raw = kaizen::store::Database::Open(path, /*read_only=*/false);
  REQUIRE(raw.ok());
  // Someone with the file: drops the trigger, then edits.
  REQUIRE(raw->Exec("DROP TRIGGER audit_no_update").ok());
  REQUIRE(raw->Exec("UPDATE audit SET body = replace(body, 'plan at 3', 'plan at 4') WHERE seq = 3").ok());
  auto r = AuditStoreVerify(*store);
  REQUIRE_FALSE(r.intact());
  CHECK(r.broken->what == "entry 3: its hash does not match its contents");
  REQUIRE(raw->Exec("UPDATE audit SET body = '{\"n\": 3}' WHERE seq = 3").ok());  // not Kaizen's spelling
  r = AuditStoreVerify(*store);
  REQUIRE_FALSE(r.intact());
  CHECK(r.broken->seq == 3);
  REQUIRE(raw->Exec("DROP TRIGGER audit_no_delete").ok());
  REQUIRE(raw->Exec("DELETE FROM audit WHERE seq = 2").ok());
  r = AuditStoreVerify(*store);
  REQUIRE_FALSE(r.intact());
  CHECK(r.broken->what == "entry 2 is missing (seq jumps from 1 to 3)");
}

TEST_CASE("store audit: a state dir of schema version 2 gets the audit table (and the later ones) when opened",
          "[store][audit]") {
  kaizen::testing::TempDir dir;
  const std::string path = (dir.path() / "state.db").string();
  {
    auto db = kaizen::store::Database::Open(path, /*read_only=*/false);
    REQUIRE(db.ok());
    REQUIRE(kaizen::store::MigrateTo(*db, 2).ok());
  }
  auto store = AuditStoreOpen(path);
  CHECK(store->schema_version() == kaizen::store::Store::kSchemaVersion);
  AuditStoreAppend(*store, AuditStoreEntry("c1", "trigger", 1));
  CHECK(AuditStoreVerify(*store).intact());
}
