#include "runtime/base/ids.h"

#include <catch2/catch.hpp>

using namespace kaizen;

TEST_CASE("ids: a task id Kaizen issues carries its issue time", "[base][ids]") {
  const int64_t ms = 1796400000123;  // late 2026
  const std::string id = NewTaskId(ms);
  CHECK(id.size() == 32);
  CHECK(id.rfind("kz-", 0) == 0);
  REQUIRE(TaskIdIssuedMs(id).has_value());
  CHECK(*TaskIdIssuedMs(id) == ms);
  CHECK(NewTaskId(ms) != id);  // random part
}

TEST_CASE("ids: other ids carry no issue time", "[base][ids]") {
  CHECK_FALSE(TaskIdIssuedMs("sim-17").has_value());
  CHECK_FALSE(TaskIdIssuedMs("my-idempotency-key").has_value());
  CHECK_FALSE(TaskIdIssuedMs("kz-0000000000zz-0123456789abcdef").has_value());
  CHECK_FALSE(TaskIdIssuedMs("kz-000000000001-0123456789abcdef0").has_value());
}
