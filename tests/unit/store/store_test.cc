// Store: opening, the journal and its filters, agents, registries,
// transactions, read-only readers beside a writer, integrity.
#include "runtime/store/store.h"

#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>

#include "runtime/store/database.h"
#include "tests/support/temp_dir.h"

using namespace kaizen;
using namespace kaizen::store;
using Mode = Store::Mode;

namespace {

std::unique_ptr<Store> OpenOrDie(const std::string& path, Mode mode = Mode::kReadWrite) {
  auto s = Store::Open(path, mode);
  INFO(s.status().ToString());
  REQUIRE(s.ok());
  return std::move(s.value());
}

JournalEvent Event(int64_t ts, std::string kind, std::string agent = "", std::string cycle = "") {
  JournalEvent e;
  e.ts_ms = ts;
  e.kind = std::move(kind);
  e.agent = std::move(agent);
  e.role = e.agent.empty() ? "" : "worker";
  e.cycle = std::move(cycle);
  e.payload = "payload-" + std::to_string(ts);
  return e;
}

std::vector<uint64_t> Seqs(const Result<std::vector<JournalEvent>>& r) {
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  std::vector<uint64_t> out;
  for (const auto& e : *r) out.push_back(e.seq);
  return out;
}

int ModeOf(const std::filesystem::path& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return static_cast<int>(st.st_mode & 0777);
}

}  // namespace

TEST_CASE("store: Open creates missing parent directories owner-only and a WAL database", "[store]") {
  testing::TempDir dir;
  ::chmod(dir.path().c_str(), 0755);
  auto path = dir.path() / "state" / "inner" / "state.db";
  auto store = OpenOrDie(path.string());
  CHECK(store->schema_version() == Store::kSchemaVersion);
  CHECK(store->path() == path.string());
  CHECK(std::filesystem::exists(path));
  CHECK(ModeOf(dir.path() / "state") == 0700);
  CHECK(ModeOf(dir.path() / "state" / "inner") == 0700);
  CHECK(ModeOf(dir.path()) == 0755);  // an existing directory is left alone

  auto raw = Database::Open(path.string(), true);
  REQUIRE(raw.ok());
  CHECK(*raw->QueryText("PRAGMA journal_mode") == "wal");
  CHECK(*raw->QueryInt("PRAGMA user_version") == Store::kSchemaVersion);
  CHECK(*store->IntegrityCheck() == "ok");
}

TEST_CASE("store: the journal assigns seqs from 1 and every filter field narrows reads", "[store][journal]") {
  testing::TempDir dir;
  auto store = OpenOrDie(dir.file("state.db"));
  CHECK(store->LastSeq() == 0);
  CHECK(Seqs(store->ReadEvents({})).empty());

  std::vector<JournalEvent> events = {
      Event(1000, "state_change", "w1"),         Event(2000, "state_change", "w2"),
      Event(3000, "cycle_transition", "", "c1"), Event(4000, "agent_exit", "w1", "c1"),
      Event(5000, "state_change", "w1", "c2"),
  };
  uint64_t expect = 1;
  for (auto& e : events) {
    REQUIRE(store->AppendEvent(&e).ok());
    CHECK(e.seq == expect++);
  }
  CHECK(store->LastSeq() == 5);

  SECTION("no filter: all, in seq order, fields intact") {
    auto all = store->ReadEvents({});
    CHECK(Seqs(all) == std::vector<uint64_t>{1, 2, 3, 4, 5});
    const JournalEvent& e = (*all)[3];
    CHECK(e.ts_ms == 4000);
    CHECK(e.kind == "agent_exit");
    CHECK(e.agent == "w1");
    CHECK(e.role == "worker");
    CHECK(e.cycle == "c1");
    CHECK(e.payload == "payload-4000");
  }
  SECTION("from_seq and to_seq are inclusive") {
    EventFilter f;
    f.from_seq = 2;
    CHECK(Seqs(store->ReadEvents(f)) == std::vector<uint64_t>{2, 3, 4, 5});
    f.to_seq = 4;
    CHECK(Seqs(store->ReadEvents(f)) == std::vector<uint64_t>{2, 3, 4});
    f.from_seq = 6;
    f.to_seq = 0;
    CHECK(Seqs(store->ReadEvents(f)).empty());
  }
  SECTION("since_ms keeps ts_ms >= since") {
    EventFilter f;
    f.since_ms = 3000;
    CHECK(Seqs(store->ReadEvents(f)) == std::vector<uint64_t>{3, 4, 5});
  }
  SECTION("kind, agent and cycle match exactly, and combine") {
    EventFilter f;
    f.kind = "state_change";
    CHECK(Seqs(store->ReadEvents(f)) == std::vector<uint64_t>{1, 2, 5});
    f.agent = "w1";
    CHECK(Seqs(store->ReadEvents(f)) == std::vector<uint64_t>{1, 5});
    f.cycle = "c2";
    CHECK(Seqs(store->ReadEvents(f)) == std::vector<uint64_t>{5});
    EventFilter c;
    c.cycle = "c1";
    CHECK(Seqs(store->ReadEvents(c)) == std::vector<uint64_t>{3, 4});
    c.agent = "w2";
    CHECK(Seqs(store->ReadEvents(c)).empty());
  }
  SECTION("limit caps the batch from the low end; 0 means no limit") {
    EventFilter f;
    f.limit = 2;
    CHECK(Seqs(store->ReadEvents(f)) == std::vector<uint64_t>{1, 2});
    f.from_seq = 3;
    CHECK(Seqs(store->ReadEvents(f)) == std::vector<uint64_t>{3, 4});
    f.limit = 0;
    CHECK(Seqs(store->ReadEvents(f)) == std::vector<uint64_t>{3, 4, 5});
    f.from_seq = UINT64_MAX;  // clamped, not wrapped negative
    CHECK(Seqs(store->ReadEvents(f)).empty());
  }
}

TEST_CASE("store: payloads are stored as bytes: NULs, high bytes and empty survive", "[store][journal]") {
  testing::TempDir dir;
  auto store = OpenOrDie(dir.file("state.db"));
  JournalEvent a = Event(1, "k");
  a.payload = std::string("\0\x01\xfe\xff tail", 8);
  JournalEvent b = Event(2, "k");
  b.payload.clear();
  REQUIRE(store->AppendEvent(&a).ok());
  REQUIRE(store->AppendEvent(&b).ok());
  auto rows = store->ReadEvents({});
  REQUIRE(rows.ok());
  REQUIRE(rows->size() == 2);
  CHECK((*rows)[0].payload == a.payload);
  CHECK((*rows)[1].payload.empty());
}

TEST_CASE("store: seqs keep increasing across reopen", "[store][journal]") {
  testing::TempDir dir;
  const auto path = dir.file("state.db");
  {
    auto store = OpenOrDie(path);
    for (int i = 0; i < 3; ++i) {
      auto e = Event(i, "k");
      REQUIRE(store->AppendEvent(&e).ok());
    }
  }
  auto store = OpenOrDie(path);
  CHECK(store->LastSeq() == 3);
  auto e = Event(10, "k");
  REQUIRE(store->AppendEvent(&e).ok());
  CHECK(e.seq == 4);
  CHECK(store->LastSeq() == 4);
}

TEST_CASE("store: agents: upsert replaces by id and the list keeps first-seen order", "[store][agents]") {
  testing::TempDir dir;
  auto store = OpenOrDie(dir.file("state.db"));
  CHECK(store->ListAgents()->empty());
  AgentRow w{"worker-1", "worker", "starting", "", 100, 0, "v1", 1000};
  AgentRow m{"monitor-1", "monitoring", "idle", "watching", 101, 0, "", 1001};
  REQUIRE(store->UpsertAgent(w).ok());
  REQUIRE(store->UpsertAgent(m).ok());
  w.state = "busy";
  w.detail = "3 tasks";
  w.pid = 200;
  w.restarts = 2;
  w.model_version = "v2";
  w.updated_ms = 2000;
  REQUIRE(store->UpsertAgent(w).ok());

  auto rows = store->ListAgents();
  REQUIRE(rows.ok());
  REQUIRE(rows->size() == 2);
  const AgentRow& a = (*rows)[0];
  CHECK(a.id == "worker-1");
  CHECK(a.role == "worker");
  CHECK(a.state == "busy");
  CHECK(a.detail == "3 tasks");
  CHECK(a.pid == 200);
  CHECK(a.restarts == 2);
  CHECK(a.model_version == "v2");
  CHECK(a.updated_ms == 2000);
  CHECK((*rows)[1].id == "monitor-1");
  CHECK((*rows)[1].detail == "watching");
}

TEST_CASE("store: models: put, get, replace by version, list by creation", "[store][registry]") {
  testing::TempDir dir;
  auto store = OpenOrDie(dir.file("state.db"));
  CHECK_FALSE(store->GetModel("v1")->has_value());
  ModelRow v1{"v1", "", "file:///a/v1.bin", "aa", ModelStatus::kServing, "", 100};
  ModelRow v2{"v2", "v1", "file:///a/v2.bin", "bb", ModelStatus::kCandidate, R"({"accuracy":0.9})", 200};
  REQUIRE(store->PutModel(v2).ok());
  REQUIRE(store->PutModel(v1).ok());

  auto got = store->GetModel("v1");
  REQUIRE(got.ok());
  REQUIRE(got->has_value());
  CHECK((*got)->uri == "file:///a/v1.bin");
  CHECK((*got)->metrics_json == "{}");  // "none" is stored as an empty object

  v2.status = ModelStatus::kServing;
  REQUIRE(store->PutModel(v2).ok());
  auto list = store->ListModels();
  REQUIRE(list.ok());
  REQUIRE(list->size() == 2);
  CHECK((*list)[0].version == "v1");
  CHECK((*list)[1].version == "v2");
  CHECK((*list)[1].parent == "v1");
  CHECK((*list)[1].status == ModelStatus::kServing);
  CHECK((*list)[1].metrics_json == R"({"accuracy":0.9})");
  CHECK((*list)[1].sha256 == "bb");
  CHECK((*list)[1].created_ms == 200);
}

TEST_CASE("store: datasets: put and get by content id", "[store][registry]") {
  testing::TempDir dir;
  auto store = OpenOrDie(dir.file("state.db"));
  CHECK_FALSE(store->GetDataset("abc")->has_value());
  DatasetRow d{"abc", "file:///a/abc.jsonl", "abc", 42, R"({"from":"feedback"})", 300};
  REQUIRE(store->PutDataset(d).ok());
  REQUIRE(store->PutDataset(d).ok());  // the same content twice is fine
  auto got = store->GetDataset("abc");
  REQUIRE(got.ok());
  REQUIRE(got->has_value());
  CHECK((*got)->uri == d.uri);
  CHECK((*got)->sha256 == "abc");
  CHECK((*got)->rows == 42);
  CHECK((*got)->provenance_json == d.provenance_json);
  CHECK((*got)->created_ms == 300);
}

TEST_CASE("store: cycles: put updates stage and state but keeps the creation time", "[store][registry]") {
  testing::TempDir dir;
  auto store = OpenOrDie(dir.file("state.db"));
  CHECK_FALSE(store->GetCycle("c1")->has_value());
  REQUIRE(store->PutCycle({"c1", "triggered", "", 100, 100}).ok());
  REQUIRE(store->PutCycle({"c2", "triggered", R"({"n":1})", 200, 200}).ok());
  REQUIRE(store->PutCycle({"c1", "planning", R"({"plan":"x"})", 999, 150}).ok());

  auto c1 = store->GetCycle("c1");
  REQUIRE(c1.ok());
  REQUIRE(c1->has_value());
  CHECK((*c1)->stage == "planning");
  CHECK((*c1)->state_json == R"({"plan":"x"})");
  CHECK((*c1)->created_ms == 100);
  CHECK((*c1)->updated_ms == 150);
  auto list = store->ListCycles();
  REQUIRE(list.ok());
  REQUIRE(list->size() == 2);
  CHECK((*list)[0].id == "c1");
  CHECK((*list)[1].id == "c2");
  CHECK((*list)[1].state_json == R"({"n":1})");
}

TEST_CASE("store: transactions: a batch is invisible to readers until Commit, and Rollback drops it", "[store][txn]") {
  testing::TempDir dir;
  const auto path = dir.file("state.db");
  auto writer = OpenOrDie(path);
  auto reader = OpenOrDie(path, Mode::kReadOnly);

  // Outside Begin/Commit each append commits by itself.
  auto first = Event(1, "k");
  REQUIRE(writer->AppendEvent(&first).ok());
  CHECK(reader->LastSeq() == 1);

  REQUIRE(writer->Begin().ok());
  CHECK(writer->in_transaction());
  CHECK_FALSE(writer->Begin().ok());  // no nesting
  for (int i = 0; i < 10; ++i) {
    auto e = Event(100 + i, "batch");
    REQUIRE(writer->AppendEvent(&e).ok());
  }
  CHECK(writer->LastSeq() == 11);
  CHECK(reader->LastSeq() == 1);  // WAL: the reader is not blocked, and sees the last commit
  CHECK(reader->ReadEvents({})->size() == 1);
  REQUIRE(writer->Commit().ok());
  CHECK_FALSE(writer->in_transaction());
  CHECK(reader->ReadEvents({})->size() == 11);

  REQUIRE(writer->Begin().ok());
  auto dropped = Event(500, "dropped");
  REQUIRE(writer->AppendEvent(&dropped).ok());
  CHECK(dropped.seq == 12);
  REQUIRE(writer->Rollback().ok());
  CHECK(writer->LastSeq() == 11);
  auto next = Event(501, "k");
  REQUIRE(writer->AppendEvent(&next).ok());
  CHECK(next.seq == 12);           // a rolled-back seq is handed out again: nothing saw it
  CHECK(writer->Rollback().ok());  // nothing open: fine
  CHECK_FALSE(writer->Commit().ok());
}

TEST_CASE("store: read-only opens beside a writer, sees its commits, and refuses writes", "[store][readonly]") {
  testing::TempDir dir;
  const auto path = dir.file("state.db");
  auto writer = OpenOrDie(path);
  auto e1 = Event(1, "k", "w1");
  REQUIRE(writer->AppendEvent(&e1).ok());
  REQUIRE(writer->UpsertAgent({"w1", "worker", "idle", "", 1, 0, "v1", 1}).ok());

  auto reader = OpenOrDie(path, Mode::kReadOnly);
  CHECK(reader->schema_version() == Store::kSchemaVersion);
  CHECK(reader->ReadEvents({})->size() == 1);
  CHECK(reader->ListAgents()->size() == 1);

  // The writer keeps going; the reader's cached statements hold no snapshot.
  for (int i = 0; i < 5; ++i) {
    auto e = Event(10 + i, "k");
    REQUIRE(writer->AppendEvent(&e).ok());
  }
  CHECK(reader->LastSeq() == 6);
  CHECK(reader->ReadEvents({})->size() == 6);

  auto w = Event(99, "k");
  CHECK(reader->AppendEvent(&w).code() == Status::Code::kFailedPrecondition);
  CHECK(reader->UpsertAgent({"x", "worker", "idle", "", 1, 0, "", 1}).code() == Status::Code::kFailedPrecondition);
  CHECK(reader->PutModel({"v9", "", "u", "s", ModelStatus::kCandidate, "", 1}).code() ==
        Status::Code::kFailedPrecondition);
  CHECK(reader->PutDataset({"d", "u", "s", 1, "", 1}).code() == Status::Code::kFailedPrecondition);
  CHECK(reader->PutCycle({"c", "triggered", "", 1, 1}).code() == Status::Code::kFailedPrecondition);
  CHECK_FALSE(reader->Begin().ok());
  CHECK(*reader->IntegrityCheck() == "ok");

  // After the writer is gone (clean close checkpoints the WAL) reads still work.
  writer.reset();
  CHECK(reader->LastSeq() == 6);
  auto late = OpenOrDie(path, Mode::kReadOnly);
  CHECK(late->ReadEvents({})->size() == 6);
}

// Run only as the child of the test below (hidden tag, so ctest skips it):
// a fresh process, not a fork, so no SQLite lock state is inherited.
TEST_CASE("store: child: read-only reader in its own process", "[.store_child]") {
  const char* path = std::getenv("KZ_STORE_CHILD_DB");
  if (!path) return;
  auto reader = Store::Open(path, Mode::kReadOnly);
  INFO(reader.status().ToString());
  REQUIRE(reader.ok());
  CHECK((*reader)->LastSeq() == 3);  // the writer's open transaction is not visible
  CHECK((*reader)->ReadEvents({})->size() == 3);
  CHECK((*reader)->ListAgents()->size() == 1);
  CHECK(*(*reader)->IntegrityCheck() == "ok");
}

TEST_CASE("store: a read-only open from another process works while the writer holds the file", "[store][readonly]") {
  testing::TempDir dir;
  const auto path = dir.file("state.db");
  auto writer = OpenOrDie(path);
  REQUIRE(writer->UpsertAgent({"w1", "worker", "idle", "", 1, 0, "v1", 1}).ok());
  REQUIRE(writer->Begin().ok());
  for (int i = 0; i < 3; ++i) {
    auto e = Event(i, "k");
    REQUIRE(writer->AppendEvent(&e).ok());
  }
  REQUIRE(writer->Commit().ok());
  REQUIRE(writer->Begin().ok());  // and an open write transaction on top
  auto pending = Event(9, "k");
  REQUIRE(writer->AppendEvent(&pending).ok());

  const std::string exe = std::filesystem::read_symlink("/proc/self/exe").string();
  const std::string env = "KZ_STORE_CHILD_DB=" + path;
  std::vector<char*> argv = {const_cast<char*>(exe.c_str()), const_cast<char*>("[.store_child]"), nullptr};
  std::vector<char*> envp = {const_cast<char*>(env.c_str()), nullptr};
  pid_t child = 0;
  REQUIRE(::posix_spawn(&child, exe.c_str(), nullptr, nullptr, argv.data(), envp.data()) == 0);
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);  // Catch2 exits with the number of failures
  REQUIRE(writer->Commit().ok());
  CHECK(writer->LastSeq() == 4);
}

TEST_CASE("store: an in-memory store works for tests that need no file", "[store]") {
  auto store = OpenOrDie(":memory:");
  auto e = Event(1, "k");
  REQUIRE(store->AppendEvent(&e).ok());
  CHECK(e.seq == 1);
  CHECK(store->ReadEvents({})->size() == 1);
  CHECK_FALSE(Store::Open(":memory:", Mode::kReadOnly).ok());
}

TEST_CASE("store: read-only open of a missing file is NotFound and creates nothing", "[store][readonly]") {
  testing::TempDir dir;
  auto r = Store::Open(dir.file("nope/state.db"), Mode::kReadOnly);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Status::Code::kNotFound);
  CHECK_FALSE(std::filesystem::exists(dir.path() / "nope"));
}

TEST_CASE("store: a file that is not a database is reported, not crashed on", "[store]") {
  testing::TempDir dir;
  const auto path = dir.file("state.db");
  {
    std::ofstream out(path, std::ios::binary);
    out << std::string(8192, 'x');
  }
  auto rw = Store::Open(path);
  REQUIRE_FALSE(rw.ok());
  CHECK(rw.status().code() == Status::Code::kCorruption);
  CHECK(rw.status().message().find("not a database") != std::string::npos);
  auto ro = Store::Open(path, Mode::kReadOnly);
  REQUIRE_FALSE(ro.ok());
  CHECK(ro.status().code() == Status::Code::kCorruption);
}

TEST_CASE("store: many appends: batched and autocommit both keep every seq", "[store][journal]") {
  testing::TempDir dir;
  auto store = OpenOrDie(dir.file("state.db"));
  constexpr int kN = 5000;
  REQUIRE(store->Begin().ok());
  for (int i = 0; i < kN; ++i) {
    auto e = Event(i, "tick", "w" + std::to_string(i % 7));
    REQUIRE(store->AppendEvent(&e).ok());
  }
  REQUIRE(store->Commit().ok());
  for (int i = 0; i < kN; ++i) {
    auto e = Event(kN + i, "tick");
    REQUIRE(store->AppendEvent(&e).ok());
  }
  CHECK(store->LastSeq() == 2 * kN);
  EventFilter f;
  f.agent = "w3";
  f.limit = 0;
  auto rows = store->ReadEvents(f);
  REQUIRE(rows.ok());
  CHECK(rows->size() == static_cast<size_t>((kN + 3) / 7));
  CHECK(*store->IntegrityCheck() == "ok");
}

TEST_CASE("store feedback keys: a key is taken once, kept across a reopen, pruned by time", "[store][feedback]") {
  testing::TempDir dir;
  const auto path = dir.file("state.db");
  {
    auto store = Store::Open(path);
    REQUIRE(store.ok());
    auto first = (*store)->AddFeedbackKey("fb-1", "t-1", 1000);
    REQUIRE(first.ok());
    CHECK(*first);
    auto again = (*store)->AddFeedbackKey("fb-1", "t-1", 1001);
    REQUIRE(again.ok());
    CHECK_FALSE(*again);
    REQUIRE((*store)->AddFeedbackKey("fb-2", "t-2", 5000).ok());
  }
  auto store = Store::Open(path);
  REQUIRE(store.ok());
  CHECK_FALSE(*(*store)->AddFeedbackKey("fb-1", "t-1", 9000));
  auto pruned = (*store)->PruneFeedbackKeys(2000);
  REQUIRE(pruned.ok());
  CHECK(*pruned == 1);
  CHECK(*(*store)->AddFeedbackKey("fb-1", "t-1", 9000));   // forgotten with its task
  CHECK_FALSE(*(*store)->AddFeedbackKey("fb-2", "t-2", 9000));
}

TEST_CASE("store first task: nullopt when empty, the oldest kept after a prune", "[store][tasks]") {
  testing::TempDir dir;
  auto store = Store::Open(dir.file("state.db"));
  REQUIRE(store.ok());
  auto none = (*store)->FirstTask();
  REQUIRE(none.ok());
  CHECK_FALSE(none->has_value());
  for (uint64_t i = 1; i <= 3; ++i) {
    TaskRow t;
    t.id = "t-" + std::to_string(i);
    t.index = i;
    t.submitted_ms = 100 * static_cast<int64_t>(i);
    t.task = "x";
    REQUIRE((*store)->AddTask(t).ok());
    t.worker = "w";
    t.answer = "a";
    REQUIRE((*store)->AnswerTask(t).ok());
  }
  REQUIRE((*store)->PruneAnsweredTasks(3).ok());
  auto first = (*store)->FirstTask();
  REQUIRE(first.ok());
  REQUIRE(first->has_value());
  CHECK((*first)->index == 3);
  CHECK((*first)->submitted_ms == 300);
}
