// The tool repository (schema v4): versions per name, content-addressed.
#include <catch2/catch.hpp>

#include "runtime/store/store.h"
#include "tests/support/temp_dir.h"

using namespace kaizen;
using namespace kaizen::store;

namespace {

ToolRow Tool(const std::string& name, const std::string& spec_sha, const std::string& status = "accepted") {
  ToolRow r;
  r.name = name;
  r.spec_sha256 = spec_sha;
  r.uri = "file:///state/artifacts/tools/" + name + "-" + spec_sha + ".json";
  r.sha256 = "file-" + spec_sha;
  r.status = status;
  r.reason = status == "accepted" ? "passed 3 of 3 tests" : "failed 1 of 3 tests; test 2 {}: returned 4 instead of 5";
  r.cycle = "c1";
  r.created_ms = 1000;
  return r;
}

}  // namespace

TEST_CASE("store: tools get versions per name, and the same spec is the same version", "[store][tools]") {
  testing::TempDir dir;
  auto opened = Store::Open(dir.file("state.db"));
  REQUIRE(opened.ok());
  Store& store = **opened;
  auto a1 = store.AddTool(Tool("calculate", "aaa"));
  REQUIRE(a1.ok());
  CHECK(a1->version == 1);
  auto bad = store.AddTool(Tool("calculate", "bbb", "rejected"));
  REQUIRE(bad.ok());
  CHECK(bad->version == 2);
  auto again = store.AddTool(Tool("calculate", "aaa"));  // a retried registration
  REQUIRE(again.ok());
  CHECK(again->version == 1);
  auto other = store.AddTool(Tool("convert_units", "aaa"));
  REQUIRE(other.ok());
  CHECK(other->version == 1);

  auto list = store.ListTools();
  REQUIRE(list.ok());
  REQUIRE(list->size() == 3);
  CHECK((*list)[0].name == "calculate");
  CHECK((*list)[1].status == "rejected");
  CHECK((*list)[1].reason.find("returned 4 instead of 5") != std::string::npos);
  CHECK((*list)[2].name == "convert_units");

  auto latest = store.GetTool("calculate");  // the latest accepted: v2 was rejected
  REQUIRE(latest.ok());
  REQUIRE(latest->has_value());
  CHECK((*latest)->version == 1);
  auto v2 = store.GetTool("calculate", 2);
  REQUIRE(v2.ok());
  REQUIRE(v2->has_value());
  CHECK((*v2)->spec_sha256 == "bbb");
  CHECK_FALSE(store.GetTool("calculate", 9)->has_value());
  CHECK_FALSE(store.GetTool("nothing")->has_value());

  auto wrong = store.AddTool(Tool("x", "ccc", "maybe"));
  REQUIRE_FALSE(wrong.ok());
  CHECK(wrong.status().message() == "tool x: status must be accepted or rejected, not 'maybe'");
}
