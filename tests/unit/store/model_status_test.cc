// ModelStatus: its names are the models.status column, read back exactly;
// a name this binary does not know is an error that says what it found.
#include "runtime/store/model_status.h"

#include <catch2/catch.hpp>
#include <sstream>

#include "runtime/store/database.h"
#include "runtime/store/store.h"
#include "tests/support/temp_dir.h"

using namespace kaizen;
using namespace kaizen::store;

TEST_CASE("model status: every status has its stored name and parses back", "[store][model_status]") {
  const std::pair<ModelStatus, const char*> all[] = {{ModelStatus::kCandidate, "candidate"},
                                                     {ModelStatus::kServing, "serving"},
                                                     {ModelStatus::kRetired, "retired"},
                                                     {ModelStatus::kRolledBack, "rolled_back"},
                                                     {ModelStatus::kRejected, "rejected"}};
  for (const auto& [status, name] : all) {
    INFO(name);
    CHECK(std::string(ModelStatusName(status)) == name);
    auto parsed = ParseModelStatus(name);
    REQUIRE(parsed.ok());
    CHECK(*parsed == status);
    std::ostringstream out;
    out << status;
    CHECK(out.str() == name);
  }
}

TEST_CASE("model status: an unknown name is an error naming it and the known ones", "[store][model_status]") {
  for (const char* bad : {"", "Serving", "archived", "serving "}) {
    INFO("'" << bad << "'");
    auto parsed = ParseModelStatus(bad);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.status().code() == Status::Code::kInvalidArgument);
    CHECK(parsed.status().message().find("'" + std::string(bad) + "'") != std::string::npos);
    CHECK(parsed.status().message().find("candidate, serving, retired, rolled_back, rejected") != std::string::npos);
  }
}

TEST_CASE("model status: the store writes the names and refuses a row with an unknown one",
          "[store][model_status]") {
  testing::TempDir dir;
  const std::string path = dir.file("state.db");
  {
    auto store = Store::Open(path);
    REQUIRE(store.ok());
    REQUIRE((*store)->PutModel({"v1", "", "file:///a/v1", "aa", ModelStatus::kRetired, "", 1}).ok());
    REQUIRE((*store)->PutModel({"v2", "v1", "file:///a/v2", "bb", ModelStatus::kRolledBack, "", 2}).ok());
  }
  {
    // The on-disk format is the name.
    auto db = Database::Open(path, /*read_only=*/false);
    REQUIRE(db.ok());
    CHECK(*db->QueryText("SELECT status FROM models WHERE version = 'v1'") == "retired");
    CHECK(*db->QueryText("SELECT status FROM models WHERE version = 'v2'") == "rolled_back");
    // A status written by someone else (a newer kaizen, a hand edit).
    REQUIRE(db->Exec("UPDATE models SET status = 'archived' WHERE version = 'v2'").ok());
  }
  auto store = Store::Open(path, Store::Mode::kReadOnly);
  REQUIRE(store.ok());
  auto v1 = (*store)->GetModel("v1");
  REQUIRE(v1.ok());
  REQUIRE(v1->has_value());
  CHECK((*v1)->status == ModelStatus::kRetired);

  auto v2 = (*store)->GetModel("v2");
  REQUIRE_FALSE(v2.ok());
  const Status& s = v2.status();
  INFO(s.ToString());
  CHECK(s.code() == Status::Code::kCorruption);
  CHECK(s.message().find("model v2") != std::string::npos);
  CHECK(s.message().find(path) != std::string::npos);
  CHECK(s.message().find("'archived'") != std::string::npos);

  auto all = (*store)->ListModels();
  REQUIRE_FALSE(all.ok());
  CHECK(all.status().code() == Status::Code::kCorruption);
  CHECK(all.status().message().find("'archived'") != std::string::npos);
}
