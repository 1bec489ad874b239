// The RAII wrappers: errors carry SQLite's message and the SQL.
#include "runtime/store/database.h"

#include <catch2/catch.hpp>

#include "tests/support/temp_dir.h"

using namespace kaizen;
using namespace kaizen::store;

TEST_CASE("store database: Database reports a failed statement with SQLite's message and the SQL",
          "[store][database]") {
  testing::TempDir dir;
  auto db = Database::Open(dir.file("x.db"), false);
  REQUIRE(db.ok());
  Status s = db->Exec("CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT NOT NULL); SELECT * FROM missing_table");
  REQUIRE_FALSE(s.ok());
  CHECK(s.message().find("no such table: missing_table") != std::string::npos);
  CHECK(s.message().find("SELECT * FROM missing_table") != std::string::npos);

  auto bad = db->Prepare("SELEC nonsense");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().find("SELEC nonsense") != std::string::npos);
}

TEST_CASE("store database: Statement binds, steps, reads back bytes exactly, and keeps the first error",
          "[store][database]") {
  testing::TempDir dir;
  auto db = Database::Open(dir.file("x.db"), false);
  REQUIRE(db.ok());
  REQUIRE(db->Exec("CREATE TABLE t(a INTEGER PRIMARY KEY, b BLOB NOT NULL, c REAL)").ok());
  auto ins = db->Prepare("INSERT INTO t(a, b, c) VALUES(?1, ?2, ?3)");
  REQUIRE(ins.ok());
  const std::string binary("a\0b\xff", 4);
  REQUIRE(ins->Reset().BindInt(1, 1).BindBlob(2, binary).BindDouble(3, 0.5).Run().ok());
  REQUIRE(ins->Reset().BindInt(1, 2).BindBlob(2, std::string_view()).BindNull(3).Run().ok());  // "" stays ""

  Status dup = ins->Reset().BindInt(1, 1).BindBlob(2, "x").Run();
  CHECK(dup.code() == Status::Code::kAlreadyExists);
  CHECK(dup.message().find("INSERT INTO t") != std::string::npos);

  // A bind out of range sticks and stops the step.
  Status range = ins->Reset().BindInt(9, 1).Run();
  CHECK(range.code() == Status::Code::kInvalidArgument);

  auto sel = db->Prepare("SELECT a, b, c FROM t ORDER BY a");
  REQUIRE(sel.ok());
  REQUIRE(sel->Step());
  CHECK(sel->Text(1) == binary);
  CHECK(sel->Double(2) == 0.5);
  REQUIRE(sel->Step());
  CHECK(sel->Text(1).empty());
  CHECK(sel->IsNull(2));
  CHECK_FALSE(sel->Step());
  CHECK(sel->status().ok());
  CHECK(*db->QueryInt("SELECT COUNT(*) FROM t") == 2);
}

TEST_CASE("store database: Database refuses writes when opened read-only", "[store][database]") {
  testing::TempDir dir;
  {
    auto rw = Database::Open(dir.file("x.db"), false);
    REQUIRE(rw.ok());
    REQUIRE(rw->Exec("CREATE TABLE t(a)").ok());
  }
  auto ro = Database::Open(dir.file("x.db"), true);
  REQUIRE(ro.ok());
  CHECK(*ro->QueryInt("SELECT COUNT(*) FROM t") == 0);
  Status s = ro->Exec("INSERT INTO t VALUES(1)");
  CHECK(s.code() == Status::Code::kFailedPrecondition);
  CHECK(s.message().find("readonly") != std::string::npos);
  CHECK_FALSE(Database::Open(dir.file("absent.db"), true).ok());
}
