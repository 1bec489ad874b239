// Checkpointer: WAL checkpoints on their own thread and connection.
#include "runtime/store/checkpointer.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <thread>

#include "runtime/store/store.h"
#include "tests/support/temp_dir.h"

using namespace kaizen;
using namespace kaizen::store;

namespace {
bool WaitFor(const std::function<bool()>& pred, int timeout_ms) {
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < until) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return pred();
}
}  // namespace

TEST_CASE("checkpointer: a WAL past the threshold is copied into the database by its thread", "[store][wal]") {
  testing::TempDir dir;
  const std::string path = dir.file("state.db");
  auto db = Database::Open(path, false);
  REQUIRE(db.ok());
  REQUIRE(db->QueryText("PRAGMA journal_mode = WAL").value() == "wal");
  REQUIRE(db->Exec("PRAGMA synchronous = NORMAL; CREATE TABLE t(x BLOB)").ok());
  auto c = Checkpointer::Start(*db, 50);
  REQUIRE(c.ok());
  const auto main_before = std::filesystem::file_size(path);
  // 200 commits of a 4 KiB row each: the WAL passes 50 pages.
  for (int i = 0; i < 200; ++i) {
    REQUIRE(db->Exec("INSERT INTO t VALUES(zeroblob(4096))").ok());
  }
  REQUIRE(WaitFor([&] { return (*c)->checkpoints() >= 1; }, 10000));
  // The pages now live in the main file too (before, only in the WAL).
  bool grew = WaitFor([&] { return std::filesystem::file_size(path) > main_before + 50 * 4096; }, 10000);
  INFO("main file " << main_before << " -> " << std::filesystem::file_size(path) << " bytes, WAL "
                    << std::filesystem::file_size(path + "-wal") << " bytes, " << (*c)->checkpoints() << " checkpoints");
  CHECK(grew);
  c->reset();  // SQLite's own automatic checkpoints again; writing goes on
  REQUIRE(db->Exec("INSERT INTO t VALUES(1)").ok());
  CHECK(db->QueryInt("SELECT count(*) FROM t").value() == 201);
  CHECK(db->QueryText("PRAGMA integrity_check").value() == "ok");
}

TEST_CASE("checkpointer: a read-write store checkpoints off its thread and readers see every commit", "[store][wal]") {
  testing::TempDir dir;
  const std::string path = dir.file("state.db");
  auto store = Store::Open(path);
  REQUIRE(store.ok());
  auto reader = Store::Open(path, Store::Mode::kReadOnly);
  REQUIRE(reader.ok());
  for (int batch = 0; batch < 40; ++batch) {
    REQUIRE((*store)->Begin().ok());
    for (int i = 0; i < 50; ++i) {
      JournalEvent e{0, batch, "k", "", "", "", std::string(2000, 'x')};
      REQUIRE((*store)->AppendEvent(&e).ok());
    }
    REQUIRE((*store)->Commit().ok());
  }
  CHECK((*reader)->LastSeq() == 2000);
  EventFilter all;
  all.limit = 0;
  CHECK((*reader)->ReadEvents(all)->size() == 2000);
  CHECK(*(*store)->IntegrityCheck() == "ok");
}

TEST_CASE("checkpointer: its thread takes no signals, so a signal blocked later by the owner still reaches it",
          "[store][wal]") {
  testing::TempDir dir;
  auto store = Store::Open(dir.file("state.db"));  // starts the thread while SIGUSR1 is unblocked here
  REQUIRE(store.ok());
  // As the runtime does for signalfd: block, then wait for it.
  sigset_t usr1, old;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  REQUIRE(pthread_sigmask(SIG_BLOCK, &usr1, &old) == 0);
  REQUIRE(::kill(::getpid(), SIGUSR1) == 0);  // a thread that took it would die of it (default action)
  timespec wait{2, 0};
  CHECK(sigtimedwait(&usr1, nullptr, &wait) == SIGUSR1);
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
}
