// Store: tasks and their answers (what exactly-once across a restart rests on).
#include <catch2/catch.hpp>

#include "runtime/store/store.h"
#include "tests/support/temp_dir.h"

using namespace kaizen;
using namespace kaizen::store;

namespace {

std::unique_ptr<Store> Open(const std::string& path) {
  auto s = Store::Open(path);
  INFO(s.status().ToString());
  REQUIRE(s.ok());
  return std::move(s.value());
}

TaskRow Pending(const std::string& id, uint64_t index) {
  TaskRow t;
  t.id = id;
  t.index = index;
  t.routing_key = "user-" + id;
  t.task = std::string("\x0a\x02", 2) + id + std::string(1, '\0');  // bytes, NUL included
  t.submitted_ms = 1000 + static_cast<int64_t>(index);
  return t;
}

TaskRow Answer(const std::string& id) {
  TaskRow t;
  t.id = id;
  t.worker = "worker";
  t.attempts = 2;
  t.answer = "answer-to-" + id;
  t.model_version = "v1";
  t.confidence = 0.75;
  t.latency_ms = 1.5;
  t.answered_ms = 5000;
  return t;
}

std::vector<std::string> Ids(const Result<std::vector<TaskRow>>& rows) {
  REQUIRE(rows.ok());
  std::vector<std::string> out;
  for (const auto& r : *rows) out.push_back(r.id);
  return out;
}

}  // namespace

TEST_CASE("store: tasks: pending until answered, answered whole, and both survive a reopen", "[store][tasks]") {
  testing::TempDir dir;
  const auto path = dir.file("state.db");
  {
    auto store = Open(path);
    CHECK(store->LastTaskIndex() == 0);
    REQUIRE(store->AddTask(Pending("a", 1)).ok());
    REQUIRE(store->AddTask(Pending("b", 2)).ok());
    REQUIRE(store->AddTask(Pending("c", 3)).ok());
    CHECK_FALSE(store->AddTask(Pending("a", 4)).ok());  // an id is stored once
    CHECK_FALSE(store->AddTask(Pending("d", 0)).ok());  // needs an index
    REQUIRE(store->AnswerTask(Answer("b")).ok());
    CHECK_FALSE(store->AnswerTask(Answer("b")).ok());     // answered once
    CHECK_FALSE(store->AnswerTask(Answer("nope")).ok());  // never accepted
  }
  auto store = Open(path);
  CHECK(store->LastTaskIndex() == 3);
  CHECK(Ids(store->PendingTasks()) == std::vector<std::string>{"a", "c"});
  auto b = store->GetTask("b");
  REQUIRE(b.ok());
  REQUIRE(*b);
  CHECK((*b)->answered);
  CHECK((*b)->index == 2);
  CHECK((*b)->task == Pending("b", 2).task);
  CHECK((*b)->answer == "answer-to-b");
  CHECK((*b)->worker == "worker");
  CHECK((*b)->attempts == 2);
  CHECK((*b)->model_version == "v1");
  CHECK((*b)->confidence == Approx(0.75));
  CHECK((*b)->answered_ms == 5000);
  auto a = store->GetTask("a");
  REQUIRE(a.ok());
  REQUIRE(*a);
  CHECK_FALSE((*a)->answered);
  CHECK((*a)->answer.empty());
  auto none = store->GetTask("zzz");
  REQUIRE(none.ok());
  CHECK_FALSE(*none);
  CHECK(*store->IntegrityCheck() == "ok");
}

TEST_CASE("store: tasks: a batch that is rolled back leaves neither the task nor its answer", "[store][tasks][txn]") {
  testing::TempDir dir;
  auto store = Open(dir.file("state.db"));
  REQUIRE(store->Begin().ok());
  REQUIRE(store->AddTask(Pending("x", 1)).ok());
  REQUIRE(store->AnswerTask(Answer("x")).ok());
  REQUIRE(store->Rollback().ok());
  auto x = store->GetTask("x");
  REQUIRE(x.ok());
  CHECK_FALSE(*x);
  CHECK(store->LastTaskIndex() == 0);
}

TEST_CASE("store: tasks: pruning drops old answered tasks only, never pending ones", "[store][tasks]") {
  testing::TempDir dir;
  auto store = Open(dir.file("state.db"));
  REQUIRE(store->Begin().ok());
  for (uint64_t i = 1; i <= 100; ++i) {
    const std::string id = "t" + std::to_string(i);
    REQUIRE(store->AddTask(Pending(id, i)).ok());
    if (i % 10 != 0) REQUIRE(store->AnswerTask(Answer(id)).ok());  // every tenth stays pending
  }
  REQUIRE(store->Commit().ok());
  auto pruned = store->PruneAnsweredTasks(51);  // below index 51
  REQUIRE(pruned.ok());
  CHECK(*pruned == 45);
  CHECK(Ids(store->PendingTasks()).size() == 10);
  CHECK_FALSE(*store->GetTask("t1"));
  REQUIRE(*store->GetTask("t10"));  // pending: kept
  REQUIRE(*store->GetTask("t51"));
  CHECK((*store->GetTask("t51"))->answered);
  CHECK(store->LastTaskIndex() == 100);
  CHECK(*store->IntegrityCheck() == "ok");
}
