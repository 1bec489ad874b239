#include "runtime/router/task_router.h"

#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <string>
#include <vector>

using kaizen::router::TaskRouter;
using Submitted = TaskRouter::Submitted;

namespace {

// A fake fleet: which instances can serve, and what each was sent.
struct Fleet {
  std::set<std::string> up{"a", "b"};
  std::string prefer = "a";
  std::map<std::string, std::vector<std::string>> sent;
  TaskRouter Make(int64_t timeout_ms = 1000, size_t cap = 0) {
    TaskRouter::Options o;
    o.task_timeout_ms = timeout_ms;
    o.max_in_flight_per_instance = cap;
    return TaskRouter(
        o,
        [this](const kaizen::v1::Task&) -> std::string {
          if (up.count(prefer)) return prefer;
          return up.empty() ? "" : *up.begin();
        },
        [this](const std::string& instance, const kaizen::v1::Task& t) {
          sent[instance].push_back(t.task_id());
          return true;
        });
  }
};

kaizen::v1::Task T(const std::string& id) {
  kaizen::v1::Task t;
  t.set_task_id(id);
  return t;
}

}  // namespace

TEST_CASE("each task is answered once: a second answer is dropped and counted", "[router]") {
  Fleet f;
  auto r = f.Make();
  REQUIRE(r.Submit("client", "m1", T("t1"), 0) == Submitted::kAccepted);
  CHECK(f.sent["a"] == std::vector<std::string>{"t1"});
  auto done = r.OnAnswer("t1", "a");
  REQUIRE(done);
  CHECK(done->client == "client");
  CHECK(done->request_id == "m1");
  CHECK(done->index == 1);
  CHECK_FALSE(r.OnAnswer("t1", "a"));
  CHECK(r.counters().answered == 1);
  CHECK(r.counters().duplicate_answers == 1);
}

TEST_CASE("a task id submitted twice is not run twice: the answer goes to the latest submitter", "[router]") {
  Fleet f;
  auto r = f.Make();
  uint64_t index = 0;
  CHECK(r.Submit("c", "m1", T("t1"), 0, &index) == Submitted::kAccepted);
  CHECK(index == 1);
  // The client reconnected under another identity and asks again.
  CHECK(r.Submit("c2", "m2", T("t1"), 0) == Submitted::kPending);
  CHECK(f.sent["a"].size() == 1);
  auto done = r.OnAnswer("t1", "a");
  REQUIRE(done);
  CHECK(done->client == "c2");
  CHECK(done->request_id == "m2");
  CHECK(r.Submit("c", "m3", T("t1"), 0) == Submitted::kAnswered);
  CHECK(r.Knows("t1"));
  CHECK_FALSE(r.Knows("t2"));
  CHECK(r.counters().duplicate_submissions == 2);
  CHECK(r.counters().submitted == 1);
}

TEST_CASE("restored tasks queue in arrival order with no submitter, and new ones continue the index", "[router]") {
  Fleet f;
  f.up.clear();
  auto r = f.Make();
  r.Restore(T("old1"), 7);
  r.Restore(T("old2"), 9);
  r.Restore(T("old1"), 7);  // twice: ignored
  CHECK(r.counters().restored == 2);
  CHECK(r.queued() == 2);
  uint64_t index = 0;
  CHECK(r.Submit("c", "m", T("new"), 0, &index) == Submitted::kAccepted);
  CHECK(index == 10);
  // Someone resubmits a restored task before a worker is up: it gets its answer.
  CHECK(r.Submit("c", "m9", T("old2"), 0) == Submitted::kPending);
  f.up.insert("b");
  r.Tick(1);
  CHECK(f.sent["b"] == std::vector<std::string>{"old1", "old2", "new"});
  auto a1 = r.OnAnswer("old1", "b");
  REQUIRE(a1);
  CHECK(a1->client.empty());  // nobody to send it to: the runtime keeps it for a resubmission
  CHECK(a1->index == 7);
  auto a2 = r.OnAnswer("old2", "b");
  REQUIRE(a2);
  CHECK(a2->client == "c");
  CHECK(a2->request_id == "m9");
}

TEST_CASE("tasks of an instance that died go to another, and its late answer does not count", "[router]") {
  Fleet f;
  auto r = f.Make();
  for (int i = 0; i < 5; ++i) r.Submit("c", "m", T("t" + std::to_string(i)), 0);
  CHECK(r.InFlightOn("a") == 5);
  f.up.erase("a");
  r.Requeue("a", 10);
  CHECK(r.InFlightOn("b") == 5);
  CHECK(f.sent["b"].size() == 5);
  CHECK_FALSE(r.OnAnswer("t0", "a") == std::nullopt);  // the first answer wins, whoever gives it
  CHECK_FALSE(r.OnAnswer("t0", "b"));
  CHECK(r.counters().resent == 5);
}

TEST_CASE("with no instance able to serve, tasks wait in order and go out when one can", "[router]") {
  Fleet f;
  f.up.clear();
  auto r = f.Make();
  r.Submit("c", "m", T("x"), 0);
  r.Submit("c", "m", T("y"), 0);
  CHECK(r.queued() == 2);
  f.up.insert("b");
  r.Tick(5);
  CHECK(r.queued() == 0);
  CHECK(f.sent["b"] == std::vector<std::string>{"x", "y"});
}

TEST_CASE("a task not answered within the timeout is sent again", "[router]") {
  Fleet f;
  auto r = f.Make(100);
  r.Submit("c", "m", T("slow"), 0);
  r.Tick(50);
  CHECK(f.sent["a"].size() == 1);
  f.prefer = "b";
  r.Tick(150);
  CHECK(f.sent["b"] == std::vector<std::string>{"slow"});
  REQUIRE(r.OnAnswer("slow", "b"));
  CHECK_FALSE(r.OnAnswer("slow", "a"));
  CHECK(r.in_flight() == 0);
}

TEST_CASE("an instance holds at most max_in_flight_per_instance tasks: the rest wait in order and a timed-out task is "
          "re-sent only in its own slot",
          "[router]") {
  Fleet f;
  f.up = {"a"};
  TaskRouter r = f.Make(1000, 2);
  for (int i = 1; i <= 5; ++i) r.Submit("client", "m", T("t" + std::to_string(i)), 0);
  CHECK(f.sent["a"] == std::vector<std::string>{"t1", "t2"});
  CHECK(r.InFlightOn("a") == 2);
  CHECK(r.queued() == 3);
  // Past the timeout the only instance is still full: the two timed-out tasks
  // are sent to it again in the slots they hold (a lost message), and the
  // waiting tasks do not jump the limit.
  r.Tick(5000);
  REQUIRE(f.sent["a"].size() == 4);
  CHECK(std::set<std::string>(f.sent["a"].begin() + 2, f.sent["a"].end()) == std::set<std::string>{"t1", "t2"});
  CHECK(r.counters().resent == 2);
  CHECK(r.InFlightOn("a") == 2);
  CHECK(r.queued() == 3);
  REQUIRE(r.OnAnswer("t1", "a"));
  r.Tick(5001);
  CHECK(f.sent["a"].back() == "t3");
  CHECK(r.InFlightOn("a") == 2);
  for (const char* id : {"t2", "t3"}) REQUIRE(r.OnAnswer(id, "a"));
  r.Tick(5002);
  for (const char* id : {"t4", "t5"}) REQUIRE(r.OnAnswer(id, "a"));
  CHECK(r.InFlightOn("a") == 0);
  CHECK(r.counters().answered == 5);
  // The two re-sends at the timeout are the only extra sends.
  CHECK(f.sent["a"].size() == 7);
  CHECK(std::set<std::string>(f.sent["a"].begin(), f.sent["a"].end()).size() == 5);
  CHECK(r.counters().resent == 2);
}

TEST_CASE("a lost instance's tasks free its slots and go to another instance", "[router]") {
  Fleet f;
  TaskRouter r = f.Make(1000, 1);
  r.Submit("client", "m", T("x"), 0);
  r.Submit("client", "m", T("y"), 0);
  CHECK(f.sent["a"] == std::vector<std::string>{"x"});
  CHECK(r.queued() == 1);
  f.up = {"b"};
  r.Requeue("a", 10);
  CHECK(r.InFlightOn("a") == 0);
  CHECK(r.InFlightOn("b") == 1);
  CHECK(f.sent["b"] == std::vector<std::string>{"x"});
  REQUIRE(r.OnAnswer("x", "b"));
  r.Tick(11);
  CHECK(f.sent["b"].back() == "y");
}
