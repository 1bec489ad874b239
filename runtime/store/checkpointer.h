// Checkpointer: moves WAL checkpoints off the writer's thread. SQLite's
// automatic checkpoint runs inside the commit that crosses the threshold:
// it copies the WAL into the database and fsyncs both, stalling that commit
// (and the runtime's poll loop) for milliseconds. Instead the writer's
// connection only notes the WAL size after each commit (wal_hook) and wakes
// this thread, which checkpoints PASSIVE on its own connection: it never
// blocks the writer or readers, and the WAL restarts from its beginning at
// the writer's next transaction once a checkpoint has caught up.
// The thread blocks every signal, so signals still reach the process's own
// threads (e.g. the runtime's signalfd for SIGCHLD).
#pragma once

#include <sqlite3.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "runtime/base/result.h"
#include "runtime/store/database.h"

namespace kaizen::store {

class Checkpointer {
 public:
  // Watches `writer` (whose automatic checkpoints it replaces) and
  // checkpoints `writer`'s file whenever the WAL holds `pages` or more.
  static Result<std::unique_ptr<Checkpointer>> Start(Database& writer, int pages = 1000);
  ~Checkpointer();  // stops the thread; the writer checkpoints by itself again
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  uint64_t checkpoints() const { return checkpoints_.load(); }

 private:
  Checkpointer(Database& writer, Database own, int pages);
  static int OnCommit(void* self, sqlite3* db, const char* name, int pages);
  void Run();

  Database& writer_;
  Database own_;  // this thread's connection
  const int pages_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool due_ = false, stop_ = false;
  std::atomic<uint64_t> checkpoints_{0};
  std::thread thread_;
};

}  // namespace kaizen::store
