// Schema migrations: fresh files, data surviving a step, a rehearsed
// next version, failed steps rolling back, and newer files refused.
#include "runtime/store/migrations.h"

#include <catch2/catch.hpp>

#include "runtime/store/store.h"
#include "tests/support/temp_dir.h"

using namespace kaizen;
using namespace kaizen::store;

namespace {

Database RawDb(const std::string& path, bool read_only = false) {
  auto db = Database::Open(path, read_only);
  INFO(db.status().ToString());
  REQUIRE(db.ok());
  return std::move(db.value());
}

bool HasObject(Database& db, const std::string& type, const std::string& name) {
  auto n = db.QueryInt("SELECT COUNT(*) FROM sqlite_master WHERE type = '" + type + "' AND name = '" + name + "'");
  REQUIRE(n.ok());
  return *n == 1;
}

// The real migrations plus a rehearsed next version (kNext).
constexpr int kNext = Store::kSchemaVersion + 1;
std::vector<Migration> WithFakeNext(std::string_view next_sql) {
  std::vector<Migration> list = Migrations();
  list.push_back({kNext, "rehearsal", next_sql});
  return list;
}

}  // namespace

TEST_CASE("store migrations: the migration list is numbered 1..N and N is Store::kSchemaVersion",
          "[store][migrations]") {
  const auto& list = Migrations();
  REQUIRE(list.size() == static_cast<size_t>(Store::kSchemaVersion));
  for (size_t i = 0; i < list.size(); ++i) CHECK(list[i].version == static_cast<int>(i) + 1);
}

TEST_CASE("store migrations: a fresh file migrates to the current version with every table and index",
          "[store][migrations]") {
  testing::TempDir dir;
  Database db = RawDb(dir.file("state.db"));
  CHECK(*SchemaVersion(db) == 0);
  REQUIRE(MigrateTo(db, Store::kSchemaVersion).ok());
  CHECK(*SchemaVersion(db) == Store::kSchemaVersion);
  for (const char* t :
       {"journal", "agents", "tasks", "results", "feedback", "cycles", "cycle_transitions", "datasets", "models", "audit",
        "tools"}) {
    INFO(t);
    CHECK(HasObject(db, "table", t));
  }
  for (const char* i : {"journal_kind", "journal_agent", "journal_cycle", "journal_ts", "tools_by_spec"}) {
    INFO(i);
    CHECK(HasObject(db, "index", i));
  }
  REQUIRE(MigrateTo(db, Store::kSchemaVersion).ok());  // again: nothing to do
  CHECK_FALSE(db.in_transaction());
}

TEST_CASE("store migrations: tasks, results, feedback and transitions are usable after version 1",
          "[store][migrations]") {
  testing::TempDir dir;
  Database db = RawDb(dir.file("state.db"));
  REQUIRE(MigrateTo(db, 1).ok());
  REQUIRE(db.Exec("PRAGMA foreign_keys = ON").ok());
  REQUIRE(
      db.Exec("INSERT INTO tasks(id, routing_key, input, submitted_ms, status) VALUES('t1', 'u1', 'hi', 1, 'queued');"
              "INSERT INTO results(task_id, worker, output, confidence, latency_ms, model_version, answered_ms) "
              "VALUES('t1', 'w1', 'pos', 0.9, 12.5, 'v1', 2);"
              "INSERT INTO feedback(task_id, kind, value, correction, source, ts_ms) "
              "VALUES('t1', 'label', 'neg', 'neg', 'human', 3);"
              "INSERT INTO cycles(id, stage, created_ms, updated_ms) VALUES('c1', 'triggered', 1, 1);"
              "INSERT INTO cycle_transitions(cycle_id, from_stage, to_stage, reason, ts_ms) "
              "VALUES('c1', 'triggered', 'planning', 'drift', 4)")
          .ok());
  // Foreign keys hold: a result for an unknown task is refused.
  Status orphan = db.Exec("INSERT INTO results(task_id, worker, output, answered_ms) VALUES('nope', 'w1', 'x', 5)");
  CHECK_FALSE(orphan.ok());
  CHECK(orphan.message().find("FOREIGN KEY") != std::string::npos);
}

TEST_CASE("store migrations: migrating a version 0 file keeps what it held", "[store][migrations]") {
  testing::TempDir dir;
  const auto path = dir.file("state.db");
  {
    // Version 0 has no kaizen tables; an operator's own table stands in for data.
    Database db = RawDb(path);
    REQUIRE(db.Exec("CREATE TABLE notes(body TEXT); INSERT INTO notes VALUES('keep me')").ok());
    CHECK(*SchemaVersion(db) == 0);
  }
  auto store = Store::Open(path);
  REQUIRE(store.ok());
  CHECK((*store)->schema_version() == Store::kSchemaVersion);
  store.value().reset();
  Database db = RawDb(path);
  CHECK(*db.QueryText("SELECT body FROM notes") == "keep me");
}

TEST_CASE("store migrations: a rehearsed next version applies on top of the current one and the data survives",
          "[store][migrations]") {
  testing::TempDir dir;
  const auto path = dir.file("state.db");
  {
    auto store = Store::Open(path);
    REQUIRE(store.ok());
    JournalEvent e{0, 7, "state_change", "w1", "worker", "", "bytes"};
    REQUIRE((*store)->AppendEvent(&e).ok());
    REQUIRE((*store)->PutModel({"v1", "", "file:///m", "aa", ModelStatus::kServing, "", 1}).ok());
  }
  Database db = RawDb(path);
  auto list = WithFakeNext(
      "ALTER TABLE journal ADD COLUMN host TEXT NOT NULL DEFAULT '';"
      "CREATE TABLE traffic_policy(id INTEGER PRIMARY KEY, json TEXT NOT NULL);"
      "UPDATE models SET metrics_json = '{\"migrated\":true}'");
  REQUIRE(MigrateTo(db, kNext, list).ok());
  CHECK(*SchemaVersion(db) == kNext);
  CHECK(*db.QueryText("SELECT kind || '/' || agent || '/' || payload || '/' || host FROM journal") ==
        "state_change/w1/bytes/");
  CHECK(*db.QueryText("SELECT metrics_json FROM models WHERE version = 'v1'") == R"({"migrated":true})");
  CHECK(HasObject(db, "table", "traffic_policy"));
  CHECK(*db.QueryInt("PRAGMA foreign_keys") == 0);  // restored to what it was

  // And this binary, which does not know that version, refuses the result.
  auto newer = Store::Open(path);
  REQUIRE_FALSE(newer.ok());
  CHECK(newer.status().code() == Status::Code::kFailedPrecondition);
}

TEST_CASE("store migrations: a failing migration step leaves the file at the version before", "[store][migrations]") {
  testing::TempDir dir;
  Database db = RawDb(dir.file("state.db"));
  REQUIRE(MigrateTo(db, Store::kSchemaVersion).ok());
  auto list = WithFakeNext("CREATE TABLE half_done(x); INSERT INTO no_such_table VALUES(1)");
  Status s = MigrateTo(db, kNext, list);
  REQUIRE_FALSE(s.ok());
  CHECK(s.message().find("schema version " + std::to_string(kNext)) != std::string::npos);
  CHECK(s.message().find("no_such_table") != std::string::npos);
  CHECK(*SchemaVersion(db) == Store::kSchemaVersion);
  CHECK_FALSE(HasObject(db, "table", "half_done"));
  CHECK_FALSE(db.in_transaction());
}

TEST_CASE("store migrations: a step that leaves a dangling foreign key is rolled back", "[store][migrations]") {
  testing::TempDir dir;
  Database db = RawDb(dir.file("state.db"));
  REQUIRE(MigrateTo(db, Store::kSchemaVersion).ok());
  auto list =
      WithFakeNext("INSERT INTO cycle_transitions(cycle_id, from_stage, to_stage, ts_ms) VALUES('ghost', 'a', 'b', 1)");
  Status s = MigrateTo(db, kNext, list);
  REQUIRE_FALSE(s.ok());
  CHECK(s.message().find("cycle_transitions") != std::string::npos);
  CHECK(*SchemaVersion(db) == Store::kSchemaVersion);
  CHECK(*db.QueryInt("SELECT COUNT(*) FROM cycle_transitions") == 0);
}

TEST_CASE("store migrations: a file newer than this kaizen is refused with an actionable message",
          "[store][migrations]") {
  testing::TempDir dir;
  const auto path = dir.file("state.db");
  {
    Database db = RawDb(path);
    REQUIRE(MigrateTo(db, 1).ok());
    REQUIRE(db.Exec("PRAGMA user_version = 7").ok());
  }
  for (auto mode : {Store::Mode::kReadWrite, Store::Mode::kReadOnly}) {
    auto s = Store::Open(path, mode);
    REQUIRE_FALSE(s.ok());
    CHECK(s.status().code() == Status::Code::kFailedPrecondition);
    CHECK(s.status().message().find("state.db has schema version 7 but this kaizen knows up to " +
                                    std::to_string(Store::kSchemaVersion)) !=
          std::string::npos);
    CHECK(s.status().message().find("upgrade kaizen") != std::string::npos);
  }
  Database db = RawDb(path);
  CHECK(*SchemaVersion(db) == 7);  // untouched
}

TEST_CASE("store migrations: a read-only open of a file that needs migrating says so and changes nothing",
          "[store][migrations]") {
  testing::TempDir dir;
  const auto path = dir.file("state.db");
  {
    Database db = RawDb(path);
    REQUIRE(db.Exec("CREATE TABLE notes(body TEXT)").ok());
  }
  auto s = Store::Open(path, Store::Mode::kReadOnly);
  REQUIRE_FALSE(s.ok());
  CHECK(s.status().code() == Status::Code::kFailedPrecondition);
  CHECK(s.status().message().find("read-only open cannot migrate") != std::string::npos);
  Database db = RawDb(path);
  CHECK(*SchemaVersion(db) == 0);
}

TEST_CASE("store migrations: MigrateTo rejects unknown targets and a misnumbered list", "[store][migrations]") {
  testing::TempDir dir;
  Database db = RawDb(dir.file("state.db"));
  CHECK(MigrateTo(db, 5).code() == Status::Code::kInvalidArgument);
  std::vector<Migration> gap = {{1, "one", "CREATE TABLE a(x)"}, {3, "three", "CREATE TABLE b(x)"}};
  CHECK(MigrateTo(db, 2, gap).code() == Status::Code::kInternal);
  CHECK(*SchemaVersion(db) == 0);
}
