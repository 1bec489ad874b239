#include <catch2/catch.hpp>

#include "runtime/core/human_requests.h"

namespace kaizen::core {
namespace {

v1::LabelRequest Req(const std::string& id, int64_t expires = 0) {
  v1::LabelRequest r;
  r.set_request_id(id);
  r.set_input("text");
  r.set_expires_ms(expires);
  return r;
}

TEST_CASE("the first answer to a label request wins and a late one hears who was first", "[core]") {
  HumanRequests h;
  REQUIRE(h.Add("datagen", "c1", Req("r1")));
  CHECK_FALSE(h.Add("datagen", "c1", Req("r1")));  // re-sent: still one
  std::string why;
  auto taken = h.Answer("r1", "alice.1", "balance", &why);
  REQUIRE(taken);
  CHECK(taken->request.asked_by() == "datagen");
  CHECK(taken->cycle_id == "c1");
  CHECK_FALSE(h.Answer("r1", "bob.2", "other", &why));
  CHECK(why == "answered by alice.1");
  CHECK_FALSE(h.Answer("r9", "bob.2", "x", &why));
  CHECK(why == "unknown request");
  CHECK(h.open_count() == 0);
}

TEST_CASE("an empty label leaves the request open", "[core]") {
  HumanRequests h;
  REQUIRE(h.Add("datagen", "c1", Req("r1")));
  std::string why;
  CHECK_FALSE(h.Answer("r1", "alice.1", "", &why));
  CHECK(h.open_count() == 1);
}

TEST_CASE("withdrawing closes only the asker's requests and expiry closes the old ones", "[core]") {
  HumanRequests h;
  REQUIRE(h.Add("datagen", "c1", Req("a", 1000)));
  REQUIRE(h.Add("datagen", "c1", Req("b", 5000)));
  REQUIRE(h.Add("other", "c1", Req("c")));
  auto expired = h.Expire(2000);
  REQUIRE(expired.size() == 1);
  CHECK(expired[0].request.request_id() == "a");
  auto ids = h.Withdraw("datagen", "", "withdrawn: done");
  CHECK(ids == std::vector<std::string>{"b"});
  std::string why;
  CHECK_FALSE(h.Answer("b", "alice.1", "x", &why));
  CHECK(why == "withdrawn: done");
  CHECK(h.OpenRequests().size() == 1);
}

TEST_CASE("people are forgotten after a silence", "[core]") {
  HumanRequests h;
  h.Seen("alice.1", 0);
  h.Seen("bob.2", 20000);
  h.Forget(35000, 30000);
  CHECK_FALSE(h.IsPerson("alice.1"));
  CHECK(h.IsPerson("bob.2"));
}

}  // namespace
}  // namespace kaizen::core
